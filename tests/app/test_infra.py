"""infra/ and azure.yaml agree with each other and with the code (the Bicep CLI is not available here, so
this is the check that runs): every setting the code reads is set by infra or documented for the
deployer, every micromentor setting infra sets is one the code reads, module and file parameters exist,
Key Vault references name declared secrets, and the queue is the one the functions bind to."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
CODE = ["core", "policies", "graph", "store", "services", "functions", "micromentor", "reporting", "identity"]
CODE += ["telemetry", "learning", "function_app.py"]
_READS = re.compile(r"""(?:env|environ)\.get\("([A-Za-z_][A-Za-z0-9_]*)"|_int\(env, "([A-Z_0-9]+)\"""")
_CONNECTION = re.compile(r'connection="([A-Za-z_][A-Za-z0-9_]*)"')
# Read by the code but never deployed: what they do only makes sense on a developer's machine.
LOCAL_ONLY = {
    "MICROMENTOR_CA_BUNDLE",
    "MICROMENTOR_QUEUE_CONNECTION",
    "MICROMENTOR_QUEUE_VISIBILITY_SECONDS",
    "MICROMENTOR_TIMER_SCHEDULES",
    "MICROMENTOR_NOW",
}


def bicep(name: str) -> str:
    text = (INFRA / name).read_text(encoding="utf-8")
    return re.sub(r"//[^\n']*(?=\n)", "", text)  # comments out (none of ours sit inside a string)


def block(text: str, opening: str) -> str:
    """The brace-balanced body that follows the first `opening` (which ends with '{')."""
    start = text.index(opening) + len(opening)
    depth = 1
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    raise AssertionError(f"unbalanced block after {opening!r}")


def keys(body: str) -> dict[str, str]:
    """Top-level `key: value` lines of an object body."""
    found: dict[str, str] = {}
    depth = 0
    for line in body.splitlines():
        match = re.match(r"\s*'?([A-Za-z_][A-Za-z0-9_-]*)'?\s*:\s*(.*)$", line)
        if match and depth == 0:
            found[match.group(1)] = match.group(2).strip()
        depth += line.count("{") - line.count("}") + line.count("[") - line.count("]")
    return found


def params(text: str) -> dict[str, bool]:
    """Declared parameters, each with whether it has a default."""
    return {m.group(1): bool(m.group(2)) for m in re.finditer(r"^param (\w+) [\w.]+( =.*)?$", text, re.M)}


def app_settings() -> dict[str, str]:
    return keys(
        block(
            block(bicep("app.bicep"), "resource settings 'Microsoft.Web/sites/config@2024-04-01' = {"), "properties: {"
        )
    )


def code_reads() -> tuple[set[str], set[str]]:
    names: set[str] = set()
    connections: set[str] = set()
    for entry in CODE:
        for path in [ROOT / entry] if entry.endswith(".py") else sorted((ROOT / entry).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            names |= {a or b for a, b in _READS.findall(text)}
            connections |= set(_CONNECTION.findall(text))
    return names, connections


def deployer_settings() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- deployer-settings -->", 1)[1].split("<!-- /deployer-settings -->", 1)[0]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section))


def test_the_reader_sees_what_the_code_reads() -> None:
    names, connections = code_reads()
    assert {"MICROMENTOR_STORE", "MICROMENTOR_FEDERATED_MI_CLIENT_ID", "APPLICATIONINSIGHTS_CONNECTION_STRING"} <= names
    assert connections == {"AzureWebJobsStorage"}


def test_every_setting_the_code_reads_is_set_by_infra_or_documented_for_the_deployer() -> None:
    names, _ = code_reads()
    unaccounted = names - set(app_settings()) - deployer_settings() - LOCAL_ONLY
    assert not unaccounted, (
        f"set these in infra/app.bicep or list them in the README's deployer settings: {unaccounted}"
    )


def test_local_only_settings_are_documented_as_local() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in LOCAL_ONLY:
        [row] = [line for line in readme.splitlines() if line.startswith(f"| `{name}`")]
        assert re.search(r"emulator|serve|local", row), row


def test_every_micromentor_setting_infra_sets_is_read_by_the_code() -> None:
    names, _ = code_reads()
    ours = {k for k in app_settings() if k.startswith(("MICROMENTOR_", "APPLICATIONINSIGHTS_", "AZURE_"))}
    assert ours - names == set()
    assert not deployer_settings() & set(app_settings()), "documented as the deployer's, but infra sets it"


def test_bindings_connect_to_storage_by_identity_without_keys() -> None:
    settings = app_settings()
    _, connections = code_reads()
    for connection in connections:
        assert connection not in settings  # a connection string would carry a key
        assert f"{connection}__accountName" in settings
        assert settings[f"{connection}__credential"] == "'managedidentity'"
        assert settings[f"{connection}__clientId"] == "identity.properties.clientId"
    storage = block(bicep("app.bicep"), "resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {")
    assert "allowSharedKeyAccess: false" in storage
    assert settings["MICROMENTOR_STORE"].startswith("'tables:${storage.properties.primaryEndpoints.table}")
    assert settings["MICROMENTOR_FEDERATED_MI_CLIENT_ID"] == "identity.properties.clientId"
    assert "MICROMENTOR_CLIENT_SECRET" not in settings


def test_secrets_are_key_vault_references_to_declared_secrets() -> None:
    text = bicep("app.bicep")
    vault = block(text, "resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {")
    declared = dict(re.findall(r"resource (\w+) 'secrets' = \{\s*name: '([^']+)'", vault))
    settings = app_settings()
    for name in ("MICROMENTOR_LINK_SECRET", "MICROMENTOR_NOTIFICATION_STATE"):
        reference = re.fullmatch(
            r"'@Microsoft\.KeyVault\(VaultName=\$\{vault\.name\};SecretName=\$\{vault::(\w+)\.name\}\)'", settings[name]
        )
        assert reference and reference.group(1) in declared, settings[name]
    assert "keyVaultReferenceIdentity: identity.id" in text


def test_module_parameters_exist_and_required_ones_are_passed() -> None:
    main = bicep("main.bicep")
    passed = set(keys(block(block(main, "module app 'app.bicep' = {"), "params: {")))
    declared = params(bicep("app.bicep"))
    assert passed - set(declared) == set(), "passed to app.bicep but not declared there"
    assert {name for name, has_default in declared.items() if not has_default} - passed == set()
    app_text = bicep("app.bicep")
    for name in declared:  # a declared parameter is used somewhere
        assert re.search(rf"(?<![\w.']){name}\b", app_text.split(f"param {name} ", 1)[1]), name


def test_the_parameters_file_feeds_every_required_parameter_of_main() -> None:
    declared = params(bicep("main.bicep"))
    given = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert set(given) - set(declared) == set()
    assert {name for name, has_default in declared.items() if not has_default} - set(given) == set()


def test_outputs_the_readme_uses_are_declared() -> None:
    outputs = set(re.findall(r"^output (\w+) ", bicep("main.bicep"), re.M))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    used = set(re.findall(r"azd env get-value (\w+)", readme))
    assert used and used <= outputs, used - outputs


def test_the_queue_and_the_service_are_the_ones_the_code_and_azd_name() -> None:
    from functions.sync_calendar import SYNC_QUEUE

    text = bicep("app.bicep")
    assert f"var syncQueue = '{SYNC_QUEUE}'" in text
    assert "resource poison 'queues' = { name: '${syncQueue}-poison' }" in text
    azure_yaml = (ROOT / "azure.yaml").read_text(encoding="utf-8")
    service = re.search(r"^services:\n  (\w+):\n((?:    .*\n)+)", azure_yaml, re.M)
    assert service is not None
    assert f"'azd-service-name': '{service.group(1)}'" in text
    assert "host: function" in service.group(2) and "language: python" in service.group(2)


def test_the_flex_runtime_is_a_python_pyproject_supports() -> None:
    runtime = re.search(r"runtime: \{ name: 'python', version: '([\d.]+)' \}", bicep("app.bicep"))
    assert runtime is not None
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert runtime.group(1) + ".0" in SpecifierSet(requires)
    assert "sku: { name: 'FC1', tier: 'FlexConsumption' }" in bicep("app.bicep")


def test_role_assignments_name_their_principal_type_and_the_deployers_is_a_parameter() -> None:
    text = bicep("app.bicep")
    assignments = re.findall(r"principalType: (\S+)", text)
    assert assignments and all(kind in {"'ServicePrincipal'", "principalType"} for kind in assignments), assignments
    deployer = text.split("resource deployerStorageAccess ", 1)[1].split("\nresource ", 1)[0]
    assert "principalType: principalType" in deployer  # 'User' would fail when azd runs as a service principal
    given = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert given["principalType"]["value"] == "${AZURE_PRINCIPAL_TYPE=User}"


def test_the_tenant_is_the_deployments_own() -> None:
    # A managed identity as a federated credential signs in only in its own tenant: no tenant parameter.
    assert "MICROMENTOR_TENANT_ID" in app_settings()
    assert app_settings()["MICROMENTOR_TENANT_ID"] == "tenant().tenantId"
    assert not any("tenant" in name.lower() for name in params(bicep("main.bicep")))
