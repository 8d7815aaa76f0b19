"""What a caller may use: grants, quotas by tier, and the explanation of a decision."""
