"""The oracle's hashicorp/aws stub (../shared/oracles/stub_provider.py) with three additions, so
that real Terraform can make a state offline and then plans that replace and destroy:

- apply: the planned values, each unknown filled with the stub's deterministic fake value;
- plan: an argument named in STUB_FORCE_NEW (JSON, type -> arguments; tools/plan_fixtures.py
  passes generator.impact.FORCE_NEW) that changes is returned as RequiresReplace, as the real
  provider's ForceNew does, so Terraform plans a replacement with its replace_paths;
- configure: the provider configuration Terraform sends is appended to STUB_CONFIG_LOG.

Started by Terraform as the plugin (tools/plan_fixtures.py writes the mirror that runs it),
with STUB_TF_SCHEMA and STUB_ORACLES (the folder holding stub_provider.py) set.
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.environ["STUB_ORACLES"])
import stub_provider as s  # noqa: E402

FORCE = json.loads(os.environ.get("STUB_FORCE_NEW", "{}"))
_plan, _configure = s.Provider.PlanResourceChange, s.Provider.ConfigureProvider


def plan(self, req, ctx):
    resp = _plan(self, req, ctx)
    prior = s.decode(req.prior_state)
    planned = s.decode(resp.planned_state) if resp.planned_state.msgpack else None
    if isinstance(prior, dict) and isinstance(planned, dict):
        for attr in FORCE.get(req.type_name, []):
            if prior.get(attr) != planned.get(attr) or isinstance(planned.get(attr), s.Unknown):
                if prior.get(attr) is None and planned.get(attr) is None:
                    continue
                resp.requires_replace.append(s.pb.AttributePath(
                    steps=[s.pb.AttributePath.Step(attribute_name=attr)]))
    return resp


def fill(block, value, ctx):
    if isinstance(value, s.Unknown):
        return None
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for name, a in block.get("attributes", {}).items():
        if isinstance(out.get(name), s.Unknown):
            ty = a["type"]
            if isinstance(ty, list) and ty[0] in ("list", "set") and isinstance(ty[1], list) and ty[1][0] == "object":
                out[name] = [s.fake(name, ty[1], ctx)]  # one element, as AWS returns (e.g. master_user_secret)
            else:
                out[name] = s.fake(name, ty, ctx)
    for name, nb in block.get("block_types", {}).items():
        v = out.get(name)
        if isinstance(v, list):
            out[name] = [fill(nb["block"], e, ctx) for e in v]
        elif isinstance(v, dict) and nb["nesting_mode"] in ("single", "group"):
            out[name] = fill(nb["block"], v, ctx)
    return out


def unique(value, suffix):
    """The stub's fake IDs and ARNs end in "stub"; make them differ between objects."""
    if isinstance(value, str) and value.endswith("stub"):
        return f"{value}-{suffix}"
    if isinstance(value, dict):
        return {k: unique(v, suffix) for k, v in value.items()}
    if isinstance(value, list):
        return [unique(v, suffix) for v in value]
    return value


def apply(self, req, ctx):
    planned = s.decode(req.planned_state)
    if planned is None:
        return s.pb.ApplyResourceChange.Response(new_state=req.planned_state)
    ctx2 = {"service": req.type_name.split("_")[1], "region": self.config.get("region") or s.DEFAULT_REGION,
            "type": req.type_name}
    suffix = hashlib.sha256(json.dumps(planned, default=repr, sort_keys=True).encode()).hexdigest()[:8]
    filled = fill(self.schema.resource(req.type_name), planned, ctx2)
    known = {k: v for k, v in planned.items() if not isinstance(v, s.Unknown)}
    new = {k: (v if k in known else unique(v, suffix)) for k, v in filled.items()}
    return s.pb.ApplyResourceChange.Response(new_state=s.encode(new))


def configure(self, req, ctx):
    if os.environ.get("STUB_CONFIG_LOG"):
        with open(os.environ["STUB_CONFIG_LOG"], "a") as f:
            print(os.environ.get("TF_WORKSPACE", "default"), json.dumps(s.decode(req.config), default=repr), file=f)
    return _configure(self, req, ctx)


s.Provider.PlanResourceChange, s.Provider.ApplyResourceChange, s.Provider.ConfigureProvider = plan, apply, configure
sys.exit(s.serve(os.environ["STUB_TF_SCHEMA"]))
