"""The Helm chart (helm/jjj-gateway): it lints and renders offline with Helm's own library, every
manifest is valid Kubernetes, bad values are refused, and the manifests say what operators rely
on: probes, a locked-down pod, the migration hook, secrets and configuration where they are told."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import kubernetes_validate
import pytest

from gateway.core.settings import Settings

from .conftest import (
    CHART,
    NAMESPACE,
    RELEASE,
    Render,
    container,
    env_of,
    find,
    helm,
    kinds,
)

#: The Kubernetes versions the manifests are validated for: a widely deployed one and the
#: newest whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.33", kubernetes_validate.latest_version())

#: Values that exercise every optional part of the chart at once.
EVERYTHING: dict[str, Any] = {
    "replicaCount": 2,
    "database": {"url": "postgresql+psycopg://gateway:pw@postgres:5432/gateway"},
    "redis": {"url": "redis://redis:6379/0"},
    "serverSecret": {"value": "s" * 64},
    "signingKeys": {"files": {"keys.json": '{"keys": []}', "audit-ed25519.pem": "PEM"}},
    "catalog": {
        "datasets": {"patent-grants.yaml": "id: patent-grants\n"},
        "regions": "x: 1\n",
        "categories": "y: 1\n",
        "cacheVolume": {"persistentVolumeClaim": {"claimName": "jjj-catalog-cache"}},
    },
    "nodes": {"files": {"beijing.yaml": "id: beijing\n"}},
    "policies": {"files": {"tiers.yaml": "tiers: {}\n"}},
    "otel": {"endpoint": "http://collector:4318", "resourceAttributes": {"env": "test"}},
    "ingress": {"enabled": True, "tls": [{"secretName": "tls", "hosts": ["gateway.example.test"]}]},
    "autoscaling": {"enabled": True, "targetMemoryUtilizationPercentage": 80},
    "adapterServers": {
        "nodes": [
            {
                "id": "beijing-haidian",
                "nodeConfig": "id: beijing-haidian\n",
                "data": {"existingClaim": "haidian-data"},
            },
            {
                "id": "tianjin",
                "existingSecret": "tianjin-node",
                "port": 9200,
                "data": {"volume": {"nfs": {"server": "nfs.example.test", "path": "/tianjin"}}},
            },
        ]
    },
}


#: A platform-scale catalogue: too large for ConfigMaps, on a volume of its own.
CATALOGUE_VOLUME: dict[str, Any] = {
    "catalog": {
        "volume": {"persistentVolumeClaim": {"claimName": "jjj-catalog", "readOnly": True}},
        "cacheVolume": {"persistentVolumeClaim": {"claimName": "jjj-catalog-cache"}},
    }
}


def gateway_deployment(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    return find(manifests, "Deployment", RELEASE)


# -- lint and render ---------------------------------------------------------------------------


@pytest.mark.parametrize("values_name", ["default", "production", "everything"])
def test_chart_lints_cleanly(values_name: str, production_values: dict[str, Any]) -> None:
    values = {"default": None, "production": production_values, "everything": EVERYTHING}
    report = helm.lint(
        CHART,
        values[values_name],
        strict=True,
        namespace=NAMESPACE,
        kube_version=f"v{KUBERNETES_VERSIONS[0]}.0",
    )
    # Severity 2 is a warning, 3 an error; 1 (information, e.g. "icon is recommended") passes.
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


def test_chart_metadata_is_a_helm_v2_chart(chart: Any) -> None:
    metadata = chart.metadata
    assert metadata["apiVersion"] == "v2"
    assert metadata["name"] == "jjj-gateway"
    assert chart.schema is not None


def test_default_values_render_the_gateway_and_nothing_external(render: Render) -> None:
    manifests = render()
    assert kinds(manifests) == [
        ("Deployment", RELEASE),
        ("NetworkPolicy", RELEASE),
        ("PodDisruptionBudget", RELEASE),
        ("Secret", f"{RELEASE}-server"),
        ("Service", RELEASE),
        ("ServiceAccount", RELEASE),
    ]


def test_production_values_render_every_production_part(
    render: Render, production_values: dict[str, Any]
) -> None:
    rendered = {kind for kind, _ in kinds(render(production_values))}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Job",
    } <= rendered


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values_name", ["default", "production", "everything", "volume"])
def test_every_rendered_manifest_is_valid_kubernetes(
    render: Render, production_values: dict[str, Any], values_name: str, version: str
) -> None:
    values = {
        "default": None,
        "production": production_values,
        "everything": EVERYTHING,
        "volume": CATALOGUE_VOLUME,
    }
    manifests = render(values[values_name])
    assert manifests
    for manifest in manifests:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path)
            pytest.fail(
                f"{manifest['kind']} {manifest['metadata']['name']}: {where}: {exc.message}"
            )


def test_every_resource_carries_the_standard_labels(
    render: Render, production_values: dict[str, Any]
) -> None:
    for manifest in render(EVERYTHING) + render(production_values):
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "jjj-gateway"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["helm.sh/chart"] == "jjj-gateway-0.1.0"


# -- values.schema.json refuses bad values -----------------------------------------------------


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"replicaCount": "three"}, "/replicaCount"),
        ({"replicaCount": 0}, "/replicaCount"),
        ({"replicaCount": 1.5}, "/replicaCount"),
        ({"replicas": 3}, "additional properties 'replicas'"),
        ({"image": {"tag": 1.2}}, "/image/tag"),
        ({"image": {"repository": ""}}, "/image/repository"),
        ({"resources": {"requests": {"cpu": "lots"}}}, "/resources/requests/cpu"),
        ({"resources": {"request": {"cpu": "1"}}}, "additional properties 'request'"),
        ({"gateway": {"workers": 0}}, "/gateway/workers"),
        ({"gateway": {"issuer": "gateway.example.test"}}, "/gateway/issuer"),
        ({"gateway": {"settings": {"adapterTokenLifetime": 300}}}, "adapterTokenLifetime"),
        ({"service": {"port": 70000}}, "/service/port"),
        ({"probes": {"readiness": {"path": "readyz"}}}, "/probes/readiness/path"),
        ({"database": {"existingSecret": "Not_A_Name"}}, "/database/existingSecret"),
        ({"catalog": {"datasets": {"entry.json": "{}"}}}, "invalid propertyName 'entry.json'"),
        ({"adapterServers": {"nodes": [{"id": "haidian"}]}}, "/adapterServers/nodes/0"),
        (
            {"adapterServers": {"nodes": [{"id": "haidian", "nodeConfig": "x", "data": {}}]}},
            "/adapterServers/nodes/0/data",
        ),
    ],
)
def test_values_breaking_the_schema_are_refused(
    chart: Any, render: Render, values: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(helm.HelmValuesError, match="values don't meet the specifications") as exc:
        render(values)
    assert complaint in str(exc.value)
    with pytest.raises(helm.HelmValuesError):
        chart.validate_schema(values)


def test_the_schema_accepts_the_shipped_values_files(
    chart: Any, production_values: dict[str, Any]
) -> None:
    chart.validate_schema(None)
    chart.validate_schema(production_values)
    chart.validate_schema(EVERYTHING)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"replicaCount": 3}, "one shared database"),
        ({"replicaCount": 3, "database": {"existingSecret": "db"}}, "the same signing keys"),
        ({"autoscaling": {"enabled": True}}, "one shared database"),
    ],
)
def test_several_replicas_without_shared_state_are_refused(
    render: Render, values: dict[str, Any], reason: str
) -> None:
    # Replicas with a database or keys of their own would each issue tokens the others reject
    # and keep an audit chain of their own; the chart stops that at install time.
    with pytest.raises(helm.HelmRenderError, match=reason):
        render(values)


def test_catalogue_entries_without_the_region_registry_are_refused(render: Render) -> None:
    with pytest.raises(helm.HelmRenderError, match="region registry"):
        render({"catalog": {"datasets": {"a.yaml": "id: a"}}})
    with pytest.raises(helm.HelmRenderError, match="region registry"):
        render({"catalog": {"existingDatasetsConfigMap": "datasets"}})


def test_catalogue_entries_without_the_category_taxonomy_are_refused(render: Render) -> None:
    regions = {"existingRegionsConfigMap": "regions"}
    with pytest.raises(helm.HelmRenderError, match="category taxonomy"):
        render({"catalog": {"datasets": {"a.yaml": "id: a"}, **regions}})
    with pytest.raises(helm.HelmRenderError, match="category taxonomy"):
        render({"catalog": {"existingDatasetsConfigMap": "datasets", **regions}})


# -- the gateway pod ---------------------------------------------------------------------------


def test_probes_use_readyz_and_healthz(render: Render) -> None:
    gateway = container(gateway_deployment(render()), "gateway")
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert gateway["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert gateway["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert gateway["args"] == ["serve", "--bind", "0.0.0.0:8080"]


def test_gateway_pod_runs_non_root_on_a_read_only_root_filesystem(render: Render) -> None:
    deployment = gateway_deployment(render())
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    security = container(deployment, "gateway")["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["runAsNonRoot"] is True


def test_writable_directories_are_empty_dirs(render: Render) -> None:
    deployment = gateway_deployment(render())
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(deployment, "gateway")["volumeMounts"]}
    env = env_of(container(deployment, "gateway"))
    instance = env["GATEWAY_INSTANCE_PATH"]
    for path in ("/tmp", instance, f"{instance}/metrics"):
        assert "emptyDir" in volumes[mounts[path]], path


def test_resources_are_set(render: Render, production_values: dict[str, Any]) -> None:
    gateway = container(gateway_deployment(render()), "gateway")
    assert gateway["resources"]["requests"] == {"cpu": "250m", "memory": "512Mi"}
    assert gateway["resources"]["limits"]["memory"] == "1Gi"
    production = container(gateway_deployment(render(production_values)), "gateway")
    assert production["resources"]["requests"]["memory"] == "1Gi"


def test_workers_threads_and_settings_become_gateway_environment(render: Render) -> None:
    values = {
        "gateway": {
            "workers": 3,
            "threads": 4,
            "quotaFailOpen": True,
            "settings": {"accessTokenLifetime": 300, "exchangeTimeout": 7.5, "warmStart": False},
        }
    }
    env = env_of(container(gateway_deployment(render(values)), "gateway"))
    assert env["GATEWAY_WORKERS"] == "3"
    assert env["GATEWAY_THREADS"] == "4"
    assert env["GATEWAY_QUOTA_FAIL_OPEN"] == "true"
    assert env["GATEWAY_ACCESS_TOKEN_LIFETIME"] == "300"
    assert env["GATEWAY_EXCHANGE_TIMEOUT"] == "7.5"
    assert env["GATEWAY_WARM_START"] == "false"
    # Settings left at null are the gateway's own defaults: not rendered at all.
    assert "GATEWAY_CLOCK_SKEW" not in env


def test_every_gateway_variable_the_chart_sets_is_a_gateway_setting(
    chart: Any, render: Render
) -> None:
    # A misspelt variable would be ignored by the gateway without a word.
    settings = {
        "accessTokenLifetime": 300,
        "clockSkew": 30,
        "adapterTokenLifetime": 30,
        "exchangeTimeout": 5,
        "maxBodyBytes": 4096,
        "maxPageSize": 500,
        "defaultPageSize": 20,
        "auditCheckpointEvery": 100,
        "auditCheckpointSeconds": 30,
        "warmStart": False,
        "logLevel": "DEBUG",
        "logFormat": "text",
        "corsOrigins": "https://portal.example.test",
        "trustedProxies": 1,
        "timezone": "Asia/Shanghai",
    }
    assert set(settings) == set(chart.values["gateway"]["settings"])
    manifests = render(EVERYTHING | {"gateway": {"settings": settings}})
    known = {f"GATEWAY_{f.name.upper()}" for f in dataclasses.fields(Settings)}
    known |= {"GATEWAY_WORKERS", "GATEWAY_THREADS"}  # options of `jjj-gateway serve`
    for manifest in manifests:
        if manifest["kind"] not in ("Deployment", "Job"):
            continue
        for spec in manifest["spec"]["template"]["spec"]["containers"]:
            rendered = {name for name in env_of(spec) if name.startswith("GATEWAY_")}
            assert rendered <= known, (manifest["metadata"]["name"], rendered - known)
    gateway = env_of(container(gateway_deployment(manifests), "gateway"))
    assert {f"GATEWAY_{snake.upper()}" for snake in map(snake_case, settings)} <= set(gateway)


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_issuer_follows_the_ingress_unless_set(render: Render) -> None:
    def issuer(values: dict[str, Any]) -> str:
        env = env_of(container(gateway_deployment(render(values)), "gateway"))
        return str(env["GATEWAY_ISSUER"])

    assert issuer({}) == f"http://{RELEASE}.{NAMESPACE}.svc:8080"
    tls = [{"secretName": "tls", "hosts": ["gateway.example.test"]}]
    assert issuer({"ingress": {"enabled": True, "tls": tls}}) == "https://gateway.example.test"
    assert (
        issuer({"gateway": {"issuer": "https://api.example.test/"}}) == "https://api.example.test"
    )


# -- secrets -----------------------------------------------------------------------------------


def secret_ref(env: dict[str, Any], name: str) -> tuple[str, str]:
    ref = env[name]["secretKeyRef"]
    return ref["name"], ref["key"]


def test_existing_secrets_are_honoured(render: Render, production_values: dict[str, Any]) -> None:
    manifests = render(production_values)
    env = env_of(container(gateway_deployment(manifests), "gateway"))
    assert secret_ref(env, "GATEWAY_DATABASE_URL") == ("jjj-gateway-database", "url")
    assert secret_ref(env, "GATEWAY_REDIS_URL") == ("jjj-gateway-redis", "url")
    assert secret_ref(env, "GATEWAY_SECRET_KEY") == ("jjj-gateway-server", "secret-key")
    # The chart creates none of them: they exist before the release.
    assert [m for m in manifests if m["kind"] == "Secret"] == []
    volumes = gateway_deployment(manifests)["spec"]["template"]["spec"]["volumes"]
    keys = next(v for v in volumes if v["name"] == "signing-keys")["projected"]
    assert [s["secret"]["name"] for s in keys["sources"]] == ["jjj-gateway-signing-keys"]
    assert env["GATEWAY_KEYS_DIR"] == "/etc/jjj-gateway/keys"


def test_an_existing_secret_wins_over_a_value(render: Render) -> None:
    values = {
        "database": {
            "url": "postgresql://inline",
            "existingSecret": "db",
            "existingSecretKey": "dsn",
        }
    }
    manifests = render(values)
    env = env_of(container(gateway_deployment(manifests), "gateway"))
    assert secret_ref(env, "GATEWAY_DATABASE_URL") == ("db", "dsn")
    assert f"{RELEASE}-database" not in {m["metadata"]["name"] for m in manifests}


def test_secrets_from_values_are_rendered_and_referenced(render: Render) -> None:
    manifests = render(EVERYTHING)
    env = env_of(container(gateway_deployment(manifests), "gateway"))
    for variable, secret in (
        ("GATEWAY_DATABASE_URL", f"{RELEASE}-database"),
        ("GATEWAY_REDIS_URL", f"{RELEASE}-redis"),
        ("GATEWAY_SECRET_KEY", f"{RELEASE}-server"),
    ):
        name, key = secret_ref(env, variable)
        assert name == secret
        assert key in find(manifests, "Secret", secret)["data"]
    keys = find(manifests, "Secret", f"{RELEASE}-signing-keys")
    assert set(keys["data"]) == {"keys.json", "audit-ed25519.pem"}


def test_a_separate_audit_key_secret_joins_the_keys_directory(render: Render) -> None:
    values = {"signingKeys": {"existingSecret": "keys"}, "auditKey": {"existingSecret": "audit"}}
    deployment = gateway_deployment(render(values))
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    sources = next(v for v in volumes if v["name"] == "signing-keys")["projected"]["sources"]
    # The whole audit secret: the key, and the retired public keys once it was rotated.
    assert sources == [{"secret": {"name": "keys"}}, {"secret": {"name": "audit"}}]


def test_without_signing_keys_the_pod_keeps_its_own(render: Render) -> None:
    env = env_of(container(gateway_deployment(render()), "gateway"))
    assert "GATEWAY_KEYS_DIR" not in env
    assert "GATEWAY_DATABASE_URL" not in env


# -- the migration Job -------------------------------------------------------------------------


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook(
    render: Render, production_values: dict[str, Any]
) -> None:
    manifests = render(production_values)
    job = find(manifests, "Job", f"{RELEASE}-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    migrate = container(job, "migrate")
    assert migrate["args"] == ["db", "upgrade"]
    assert secret_ref(env_of(migrate), "GATEWAY_DATABASE_URL") == ("jjj-gateway-database", "url")
    assert migrate["securityContext"]["readOnlyRootFilesystem"] is True
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # The schema is migrated by the Job, so the replicas start without migrating.
    assert "--no-migrate" in container(gateway_deployment(manifests), "gateway")["args"]


def test_a_database_url_from_values_exists_before_the_migration_hook(render: Render) -> None:
    manifests = render({"database": {"url": "postgresql+psycopg://gateway@postgres/gateway"}})
    secret = find(manifests, "Secret", f"{RELEASE}-database")
    job = find(manifests, "Job", f"{RELEASE}-migrate")
    assert "pre-install" in secret["metadata"]["annotations"]["helm.sh/hook"]
    secret_weight = int(secret["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert secret_weight < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])


def test_no_migration_job_without_a_database(render: Render) -> None:
    manifests = render()
    assert not [m for m in manifests if m["kind"] == "Job"]
    assert "--no-migrate" not in container(gateway_deployment(manifests), "gateway")["args"]


# -- configuration documents -------------------------------------------------------------------


def mounted_config_maps(deployment: dict[str, Any]) -> dict[str, str]:
    """mount path → ConfigMap name, for the gateway container."""
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    return {
        m["mountPath"]: volumes[m["name"]]["configMap"]["name"]
        for m in container(deployment, "gateway")["volumeMounts"]
        if "configMap" in volumes[m["name"]]
    }


def test_configuration_from_values_is_rendered_into_config_maps(render: Render) -> None:
    manifests = render(EVERYTHING)
    mounts = mounted_config_maps(gateway_deployment(manifests))
    assert mounts == {
        "/etc/jjj-gateway/catalog/datasets": f"{RELEASE}-catalog-datasets",
        "/etc/jjj-gateway/catalog/regions.yaml": f"{RELEASE}-catalog-regions",
        "/etc/jjj-gateway/catalog/categories.yaml": f"{RELEASE}-catalog-categories",
        "/etc/jjj-gateway/nodes": f"{RELEASE}-nodes",
        "/etc/jjj-gateway/policies": f"{RELEASE}-policies",
    }
    assert find(manifests, "ConfigMap", f"{RELEASE}-nodes")["data"] == {
        "beijing.yaml": "id: beijing\n"
    }
    env = env_of(container(gateway_deployment(manifests), "gateway"))
    assert env["GATEWAY_CATALOG_DIR"] == "/etc/jjj-gateway/catalog"
    assert env["GATEWAY_NODES_DIR"] == "/etc/jjj-gateway/nodes"
    assert env["GATEWAY_POLICIES_DIR"] == "/etc/jjj-gateway/policies"


def test_existing_config_maps_are_mounted_and_not_rendered(
    render: Render, production_values: dict[str, Any]
) -> None:
    manifests = render(production_values)
    assert mounted_config_maps(gateway_deployment(manifests)) == {
        "/etc/jjj-gateway/catalog/datasets": "jjj-catalog-datasets",
        "/etc/jjj-gateway/catalog/regions.yaml": "jjj-catalog-regions",
        "/etc/jjj-gateway/catalog/categories.yaml": "jjj-catalog-categories",
        "/etc/jjj-gateway/nodes": "jjj-nodes",
        "/etc/jjj-gateway/policies": "jjj-policies",
    }
    gateway_config_maps = [
        m
        for m in manifests
        if m["kind"] == "ConfigMap"
        and m["metadata"]["labels"]["app.kubernetes.io/component"] == "gateway"
    ]
    assert gateway_config_maps == []


def test_a_catalogue_volume_is_mounted_where_the_catalogue_dir_points(render: Render) -> None:
    manifests = render(CATALOGUE_VOLUME)
    deployment = gateway_deployment(manifests)
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["name"]: m for m in container(deployment, "gateway")["volumeMounts"]}
    env = env_of(container(deployment, "gateway"))
    assert volumes["catalog"]["persistentVolumeClaim"] == {
        "claimName": "jjj-catalog",
        "readOnly": True,
    }
    assert (
        mounts["catalog"]["mountPath"] == env["GATEWAY_CATALOG_DIR"] == "/etc/jjj-gateway/catalog"
    )
    assert mounts["catalog"]["readOnly"] is True
    assert not {"catalog-datasets", "catalog-regions", "catalog-categories"} & set(volumes)
    assert not [
        m for m in manifests if m["kind"] == "ConfigMap" and "catalog" in m["metadata"]["name"]
    ]


def test_the_checked_catalogue_is_kept_on_the_cache_volume(render: Render) -> None:
    deployment = gateway_deployment(render(CATALOGUE_VOLUME))
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["name"]: m for m in container(deployment, "gateway")["volumeMounts"]}
    env = env_of(container(deployment, "gateway"))
    assert volumes["catalog-cache"]["persistentVolumeClaim"] == {"claimName": "jjj-catalog-cache"}
    assert mounts["catalog-cache"]["mountPath"] == env["GATEWAY_CATALOG_CACHE_DIR"]
    assert not mounts["catalog-cache"].get("readOnly")


def test_without_a_cache_volume_the_cache_stays_in_the_instance_folder(render: Render) -> None:
    env = env_of(container(gateway_deployment(render(None)), "gateway"))
    assert "GATEWAY_CATALOG_CACHE_DIR" not in env


@pytest.mark.parametrize(
    "beside",
    [
        {"datasets": {"a.yaml": "id: a"}, "regions": "x: 1", "categories": "y: 1"},
        {"existingDatasetsConfigMap": "datasets"},
        {"regions": "x: 1"},
    ],
    ids=["documents", "config-map", "regions"],
)
def test_a_catalogue_volume_beside_catalogue_documents_is_refused(
    render: Render, beside: dict[str, Any]
) -> None:
    volume = CATALOGUE_VOLUME["catalog"]["volume"]
    with pytest.raises(helm.HelmRenderError, match=r"catalog\.volume holds the whole catalogue"):
        render({"catalog": {"volume": volume, **beside}})


def test_without_configuration_the_packaged_documents_are_used(render: Render) -> None:
    deployment = gateway_deployment(render())
    assert mounted_config_maps(deployment) == {}
    env = env_of(container(deployment, "gateway"))
    assert not {"GATEWAY_CATALOG_DIR", "GATEWAY_NODES_DIR", "GATEWAY_POLICIES_DIR"} & set(env)


def test_changed_configuration_rolls_the_pods(render: Render) -> None:
    def checksum(values: dict[str, Any]) -> str:
        template = gateway_deployment(render(values))["spec"]["template"]
        return str(template["metadata"]["annotations"]["checksum/configuration"])

    one = {"nodes": {"files": {"beijing.yaml": "id: beijing\n"}}}
    other = {"nodes": {"files": {"beijing.yaml": "id: beijing\nlevel: province\n"}}}
    assert checksum(one) != checksum(other)


# -- scaling, exposure, network ----------------------------------------------------------------


def test_autoscaler_and_disruption_budget_in_production(
    render: Render, production_values: dict[str, Any]
) -> None:
    manifests = render(production_values)
    hpa = find(manifests, "HorizontalPodAutoscaler", RELEASE)
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": RELEASE,
    }
    assert hpa["spec"]["minReplicas"] == 3
    # The autoscaler owns the replica count.
    assert "replicas" not in gateway_deployment(manifests)["spec"]
    pdb = find(manifests, "PodDisruptionBudget", RELEASE)
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"] == {
        "minAvailable": 2,
        "selector": gateway_deployment(manifests)["spec"]["selector"],
    }


def test_ingress_terminates_tls_for_the_service(
    render: Render, production_values: dict[str, Any]
) -> None:
    ingress = find(render(production_values), "Ingress", RELEASE)
    assert ingress["spec"]["tls"] == [
        {"hosts": ["gateway.jjj.example.org"], "secretName": "jjj-gateway-tls"}
    ]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": RELEASE, "port": {"name": "http"}}}


def test_network_policy_allows_only_what_the_gateway_talks_to(
    render: Render, production_values: dict[str, Any]
) -> None:
    policy = find(render(production_values), "NetworkPolicy", RELEASE)
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert policy["spec"]["ingress"][0]["ports"] == [{"port": "http", "protocol": "TCP"}]
    egress_ports = {
        port["port"] for rule in policy["spec"]["egress"] for port in rule.get("ports", [])
    }
    # DNS, PostgreSQL, Redis, the collector, the adapter servers, remote nodes over HTTPS.
    assert egress_ports == {53, 5432, 6379, 4318, 9100, 443}


def test_telemetry_settings_come_from_values(
    render: Render, production_values: dict[str, Any]
) -> None:
    env = env_of(container(gateway_deployment(render(production_values)), "gateway"))
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability.svc:4318"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/json"
    protobuf = production_values | {
        "otel": production_values["otel"] | {"protocol": "http/protobuf"}
    }
    env_protobuf = env_of(container(gateway_deployment(render(protobuf)), "gateway"))
    assert env_protobuf["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert env["OTEL_SERVICE_NAME"] == "jjj-gateway"
    attributes = dict(pair.split("=", 1) for pair in env["OTEL_RESOURCE_ATTRIBUTES"].split(","))
    assert attributes["deployment.environment.name"] == "production"
    assert attributes["k8s.namespace.name"] == NAMESPACE
    assert attributes["k8s.pod.name"] == "$(K8S_POD_NAME)"
    assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    # Without an endpoint nothing is exported.
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in env_of(
        container(gateway_deployment(render()), "gateway")
    )


# -- adapter servers ---------------------------------------------------------------------------


def test_adapter_servers_run_next_to_their_data(render: Render) -> None:
    manifests = render(EVERYTHING)
    haidian = find(manifests, "Deployment", f"{RELEASE}-adapter-beijing-haidian")
    adapter = container(haidian, "adapter")
    assert adapter["args"] == [
        "adapter",
        "serve",
        "--node",
        "beijing-haidian",
        "--bind",
        "0.0.0.0:9100",
        "--jwks-url",
        f"http://{RELEASE}.{NAMESPACE}.svc:8080/oauth/jwks",
    ]
    env = env_of(adapter)
    gateway_env = env_of(container(gateway_deployment(manifests), "gateway"))
    assert env["GATEWAY_ISSUER"] == gateway_env["GATEWAY_ISSUER"]
    assert env["GATEWAY_DATA_DIR"] == "/data"
    assert adapter["securityContext"]["readOnlyRootFilesystem"] is True
    assert haidian["spec"]["strategy"] == {"type": "Recreate"}
    volumes = {v["name"]: v for v in haidian["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"] == {
        "claimName": "haidian-data",
        "readOnly": True,
    }
    assert volumes["node-config"]["configMap"]["name"] == f"{RELEASE}-adapter-beijing-haidian"

    tianjin = find(manifests, "Deployment", f"{RELEASE}-adapter-tianjin")
    volumes = {v["name"]: v for v in tianjin["spec"]["template"]["spec"]["volumes"]}
    assert volumes["node-config"]["secret"]["secretName"] == "tianjin-node"
    assert volumes["data"]["nfs"] == {"server": "nfs.example.test", "path": "/tianjin"}
    service = find(manifests, "Service", f"{RELEASE}-adapter-tianjin")
    assert service["spec"]["ports"][0]["port"] == 9200


def test_only_the_gateway_reaches_the_adapter_servers(render: Render) -> None:
    policy = find(render(EVERYTHING), "NetworkPolicy", f"{RELEASE}-adapter-servers")
    (rule,) = policy["spec"]["ingress"]
    (peer,) = rule["from"]
    assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "gateway"


def test_notes_tell_the_operator_what_is_missing(
    notes: Any, production_values: dict[str, Any]
) -> None:
    trial = notes(None)
    assert "no database is configured" in trial
    assert "no signing keys are configured" in trial
    production = notes(production_values)
    assert "https://gateway.jjj.example.org" in production
    assert "no database is configured" not in production
    assert "http://jjj-gateway-adapter-beijing-haidian:9100" in production
