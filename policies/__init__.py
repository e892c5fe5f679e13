"""The focus-time policy model: typed `Policy`, tenant-wide `TenantPolicy` with per-mentor overrides,
and the policy JSON of `docs/policy.md`."""

from policies.codec import parse_policy, policy_fields_to_json, policy_to_json
from policies.model import POLICY_FIELDS, WEEKDAYS, Policy, TenantPolicy, normalize_upn

__all__ = [
    "POLICY_FIELDS",
    "WEEKDAYS",
    "Policy",
    "TenantPolicy",
    "normalize_upn",
    "parse_policy",
    "policy_fields_to_json",
    "policy_to_json",
]
