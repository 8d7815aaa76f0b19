"""The nodes behind the gateway: routing of regions to nodes, the fleet of adapters, circuit
breakers, retries and the fan-out pool."""
