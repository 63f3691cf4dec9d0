"""Consistency of the deployment files with the code and with each other.

    .venv-sam/bin/python tests/offline/consistency.py HCL_JSON

HCL_JSON is the output of tests/offline/hcl-parse.js for infra/. Checks:

1. every functions/<name> package has a function in template.yaml (built with
   cargo-lambda, binary = package name) and every template function has a
   package;
2. every environment variable a function's config reads (its package's
   `pub const ENV_VARS: &[&str]`) is set for it in the template (its own
   Environment or the Globals);
3. every ${...} of statemachines/*.asl.json is a DefinitionSubstitution of
   the template, and every substitution is used;
4. the workflow's Retry / Catch error names are error_types the functions
   return (shared/lambda-kit, shared/core), and each Lambda task retries the
   transient ones first and never the permanent ones, and the failure branch
   fails the campaign for exactly the permanent ones (pauses it otherwise);
5. the Terraform tables match the adapters' schema
   (shared/aws/src/dynamodb/schema.rs): names, keys, indexes, TTL attribute;
6. names Terraform uses for resources the SAM stack owns (functions, queues,
   dead-letter queues, topics, metric names) exist in the template, and the
   dead-letter queues Terraform owns itself (the contact import queue's)
   exist in infra/modules/data;
7. every template parameter without a default is set for each stage by
   samconfig.toml or by Terraform's sam_parameters output, and nothing else;
8. no IAM statement in the template allows a wildcard action;
9. the idle inventory of docs/prices.yaml (secrets, alarms, KMS keys, queues
   polled while empty, the host's disk) is what infra/ and template.yaml
   create for a stage with every option on (prod's terraform.tfvars) plus the
   account's bootstrap;
10. the SMS provider secret's description names every field the HTTP SMS
   adapter reads (shared/aws/src/http_sms.rs, HttpSmsCredentials).

Prints one line per check; exits 1 on the first failing group's end.
"""

import json
import re
import sys
import tomllib
from pathlib import Path

import yaml  # PyYAML, from the SAM virtualenv (cfn-lint depends on it)

ROOT = Path(__file__).resolve().parents[2]

# Template functions whose package is being written on another branch; each
# is reported, not failed, until its package exists.
PENDING_PACKAGES: set[str] = set()

failures = []
warnings = []


def fail(msg):
    failures.append(msg)


def warn(msg):
    warnings.append(msg)


def report(name, before):
    new = failures[before:]
    print(f"{'FAIL' if new else 'ok  '} {name}")
    for msg in new:
        print(f"       {msg}")


# ---------------------------------------------------------------- loading

class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, ...)."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


def load_template():
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)


def sub_suffix(value, prefix="${NamePrefix}"):
    """`!Sub ${NamePrefix}dial` -> `dial`; None when not of that form."""
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        text = value["Fn::Sub"]
        if text.startswith(prefix):
            return text[len(prefix):]
    return None


def resources_of(template, kind):
    return {n: r for n, r in template["Resources"].items() if r["Type"] == kind}


# ---------------------------------------------------------------- 1, 2

def packages():
    out = {}
    for manifest in sorted((ROOT / "functions").glob("*/Cargo.toml")):
        name = tomllib.loads(manifest.read_text())["package"]["name"]
        out[name] = manifest.parent
    return out


ENV_VARS_RE = re.compile(r"pub\s+const\s+ENV_VARS\s*:\s*&\[&str\]\s*=\s*&\[(.*?)\];", re.S)


CONST_RE = re.compile(r'const\s+([A-Z][A-Z0-9_]*)\s*:\s*&(?:\'static\s+)?str\s*=\s*"([^"]+)"\s*;')


def str_consts():
    """Every `const NAME: &str = "..."` of the workspace, for ENV_VARS entries
    written as constants (`lambda_kit::config::TABLE_PREFIX`)."""
    found = {}
    for source in list((ROOT / "functions").rglob("*.rs")) + list((ROOT / "shared").rglob("*.rs")):
        for name, value in CONST_RE.findall(source.read_text()):
            found.setdefault(name, set()).add(value)
    return found


def env_vars_of(package_dir):
    """The names in the package's `pub const ENV_VARS: &[&str]`, or None."""
    for source in sorted((package_dir / "src").rglob("*.rs")):
        m = ENV_VARS_RE.search(source.read_text())
        if not m:
            continue
        body = re.sub(r"//[^\n]*", "", m.group(1))
        names = []
        consts = None
        for item in (i.strip() for i in body.split(",")):
            if not item:
                continue
            if item.startswith('"') and item.endswith('"'):
                names.append(item[1:-1])
                continue
            consts = consts if consts is not None else str_consts()
            ident = item.split("::")[-1]
            values = consts.get(ident, set())
            if len(values) != 1:
                fail(f"{package_dir.name}: ENV_VARS entry {item} is not a string constant this check can read")
                continue
            names.append(next(iter(values)))
        return names
    return None


def check_functions(template):
    before = len(failures)
    functions = {}
    for name, res in resources_of(template, "AWS::Serverless::Function").items():
        meta = res.get("Metadata", {})
        binary = meta.get("BuildProperties", {}).get("Binary")
        if meta.get("BuildMethod") != "rust-cargolambda" or not binary:
            fail(f"{name}: not built with BuildMethod rust-cargolambda and a Binary")
            continue
        if sub_suffix(res["Properties"].get("FunctionName")) != binary:
            fail(f"{name}: FunctionName is not ${{NamePrefix}}{binary}")
        functions[binary] = res
    pkgs = packages()
    for pkg in sorted(set(pkgs) - set(functions)):
        fail(f"functions/{pkgs[pkg].name} (package {pkg}) has no function in template.yaml")
    for binary in sorted(set(functions) - set(pkgs)):
        if binary in PENDING_PACKAGES:
            warn(f"template function {binary} has no package under functions/ yet (being built elsewhere)")
        else:
            fail(f"template function {binary} has no package under functions/")
    for binary in sorted(PENDING_PACKAGES & set(pkgs)):
        warn(f"{binary} now exists: remove it from PENDING_PACKAGES in {Path(__file__).name}")
    report(f"function packages <-> template functions ({len(pkgs)} packages, {len(functions)} functions)", before)

    before = len(failures)
    globals_env = set(template.get("Globals", {}).get("Function", {}).get("Environment", {})
                      .get("Variables", {}))
    checked = 0
    for pkg, directory in sorted(pkgs.items()):
        if pkg not in functions:
            continue
        wanted = env_vars_of(directory)
        if wanted is None:
            warn(f"{pkg}: no `pub const ENV_VARS` in functions/{directory.name}/src: its settings are not checked")
            continue
        props = functions[pkg]["Properties"]
        given = globals_env | set(props.get("Environment", {}).get("Variables", {}))
        for var in wanted:
            if var not in given:
                fail(f"{pkg} reads {var}, which template.yaml does not set")
        checked += 1
    report(f"every variable a function reads is set ({checked} functions declare ENV_VARS)", before)
    return functions


# ---------------------------------------------------------------- 3, 4

def error_types():
    names = set()
    for path in ["shared/lambda-kit/src/error.rs", "shared/core/src/usecases/mod.rs"]:
        text = (ROOT / path).read_text()
        for body in re.findall(r"fn error_type\(&self\)[^{]*\{(.*?)\n    \}", text, re.S):
            names.update(re.findall(r'=>\s*(?:[a-z_.()]*)?"([A-Za-z]+)"', body))
    return names


SERVICE_ERROR = re.compile(r"^(States|Lambda|Ec2|SNS|Sfn|StepFunctions)\.[A-Za-z0-9]+$")
TRANSIENT = {"TransientDependencyError", "Conflict"}


def check_workflows(template):
    before = len(failures)
    machines = resources_of(template, "AWS::Serverless::StateMachine")
    known = error_types()
    if not {"TransientDependencyError", "Conflict", "InvalidCampaign", "CampaignNotFound"} <= known:
        fail(f"could not read the error types from the code (found {sorted(known)})")
    for name, res in machines.items():
        props = res["Properties"]
        path = ROOT / props["DefinitionUri"]
        text = path.read_text()
        subs = set(props.get("DefinitionSubstitutions", {}))
        used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text))
        for missing in sorted(used - subs):
            fail(f"{path.name}: ${{{missing}}} is not in {name}'s DefinitionSubstitutions")
        for unused in sorted(subs - used):
            fail(f"{name}: DefinitionSubstitution {unused} is not used by {path.name}")
        definition = json.loads(text)
        for state_name, state in definition["States"].items():
            for rule in state.get("Retry", []) + state.get("Catch", []):
                for err in rule["ErrorEquals"]:
                    if not (SERVICE_ERROR.match(err) or err in known):
                        fail(f"{path.name} {state_name}: {err} is neither a service error nor an error_type of ours")
            if state.get("Type") == "Task" and state.get("Resource", "").startswith("${") \
                    and state_name not in ("MarkFailed", "PauseCampaign"):
                retriers = state.get("Retry", [])
                if not retriers or set(retriers[0]["ErrorEquals"]) != TRANSIENT:
                    fail(f"{path.name} {state_name}: the first retrier must be {sorted(TRANSIENT)}")
                permanent = [r for r in retriers if r.get("MaxAttempts") == 0]
                catch_all = [i for i, r in enumerate(retriers) if "States.TaskFailed" in r["ErrorEquals"]
                             or "States.ALL" in r["ErrorEquals"]]
                never = set().union(*(r["ErrorEquals"] for r in permanent)) if permanent else set()
                if never != known - TRANSIENT:
                    fail(f"{path.name} {state_name}: the never-retried errors {sorted(never)} "
                         f"are not the permanent error_types {sorted(known - TRANSIENT)}")
                if catch_all and permanent and retriers.index(permanent[0]) > catch_all[0]:
                    fail(f"{path.name} {state_name}: a catch-all retrier comes before the permanent errors")
                if not any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", [])):
                    fail(f"{path.name} {state_name}: no States.ALL catcher to the failure branch")
        report(f"{path.name}: substitutions and error names ({len(used)} substitutions, "
               f"{len(known)} error types)", before)
        route = definition["States"].get("RouteFailure")
        if route is None:
            fail(f"{path.name}: no RouteFailure state (permanent errors fail the campaign, others pause it)")
        else:
            rules = route["Choices"][0]["Or"]
            routed = {r["StringEquals"] for r in rules if r.get("Variable") == "$.error.Error"}
            if routed != known - TRANSIENT:
                fail(f"{path.name} RouteFailure: fails the campaign for {sorted(routed)}, "
                     f"not for the permanent error_types {sorted(known - TRANSIENT)}")
        print(f"       error types read from the code: {', '.join(sorted(known))}")


# ---------------------------------------------------------------- 5

def schema_tables():
    schema = (ROOT / "shared/aws/src/dynamodb/schema.rs").read_text()
    module = (ROOT / "shared/aws/src/dynamodb/mod.rs").read_text()
    consts = dict(re.findall(r'pub const ([A-Z_]+): &str = "([^"]+)";', schema))
    suffix = dict(re.findall(r'(\w+): format!\("\{prefix\}([a-z-]+)"\)', module))
    ttl_attr = re.search(r'EXPIRES_AT: &str = "([^"]+)"', module).group(1)
    tables = {}
    for block in re.findall(r"Table \{(.*?)\n        \}", schema, re.S):
        field = re.search(r"name: names\.(\w+)\.clone\(\)", block).group(1)
        hash_key = re.search(r'hash: "([^"]+)"', block).group(1)
        rng = re.search(r'range: (?:Some\("([^"]+)"\)|None)', block).group(1)
        indexes = {consts[c]: {"hash": h, "range": r}
                   for c, h, r in re.findall(r'\((\w+), "([^"]+)", "([^"]+)"\)', block)}
        ttl = "ttl: true" in block
        tables[suffix[field]] = {"hash": hash_key, "range": rng, "indexes": indexes, "ttl": ttl}
    return tables, ttl_attr


def check_tables(hcl):
    before = len(failures)
    code, ttl_attr = schema_tables()
    tf_file = hcl["infra/modules/data/tables.tf"]
    terraform = tf_file["locals"][0]["tables"]
    if set(code) != set(terraform):
        fail(f"tables: code {sorted(code)} vs Terraform {sorted(terraform)}")
    for name in sorted(set(code) & set(terraform)):
        c, t = code[name], terraform[name]
        t_norm = {"hash": t["hash"], "range": t["range"], "ttl": t["ttl"],
                  "indexes": {k: {"hash": v["hash"], "range": v["range"]} for k, v in t["indexes"].items()}}
        if c != t_norm:
            fail(f"table {name}: code {c} vs Terraform {t_norm}")
    table_res = tf_file["resource"]["aws_dynamodb_table"]["this"][0]
    dynamic = table_res["dynamic"]
    dynamic = dynamic[0] if isinstance(dynamic, list) else dynamic
    tf_ttl = dynamic["ttl"][0]["content"][0]["attribute_name"]
    if tf_ttl != ttl_attr:
        fail(f"TTL attribute: code {ttl_attr} vs Terraform {tf_ttl}")
    for required in ["point_in_time_recovery", "server_side_encryption"]:
        if required not in table_res:
            fail(f"the tables have no {required}")
    report(f"Terraform tables = the adapters' schema ({len(code)} tables, TTL on {ttl_attr})", before)


# ---------------------------------------------------------------- 6

def check_names(template, hcl):
    before = len(failures)
    monitoring = hcl["infra/modules/monitoring/main.tf"]["locals"][0]
    functions = {sub_suffix(r["Properties"].get("FunctionName"))
                 for r in resources_of(template, "AWS::Serverless::Function").values()}
    if set(monitoring["functions"]) != functions:
        fail(f"monitoring functions {sorted(monitoring['functions'])} vs template {sorted(functions)}")
    queues = {n: r for n, r in resources_of(template, "AWS::SQS::Queue").items()}
    by_logical = {n: sub_suffix(r["Properties"].get("QueueName")) for n, r in queues.items()}
    dlqs = set()
    for res in queues.values():
        target = res["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if not target:
            continue
        logical = target["Fn::GetAtt"].split(".")[0] if isinstance(target["Fn::GetAtt"], str) \
            else target["Fn::GetAtt"][0]
        dlqs.add(by_logical[logical])
    main_queues = set(by_logical.values()) - dlqs
    for name in sorted(main_queues):
        if name not in {"dial", "originate", "call-events", "sms-tts-fallback", "blacklist"}:
            fail(f"queue {name} is new: give it a dead-letter queue and an alarm")
    if set(monitoring["dead_letter_queues"]) != dlqs:
        fail(f"monitoring DLQs {sorted(monitoring['dead_letter_queues'])} vs template {sorted(dlqs)}")
    # Dead-letter queues Terraform owns (the contact import queue's) must be
    # named by the data module as the alarms name them.
    data_module = json.dumps({k: v for k, v in hcl.items() if k.startswith("infra/modules/data/")})
    for name in monitoring.get("terraform_dead_letter_queues", []):
        if f"${{var.name_prefix}}{name}" not in data_module:
            fail(f"monitoring alarms on {name}, which infra/modules/data does not create")
    if len(dlqs) != len(main_queues):
        fail("every queue needs its own dead-letter queue")
    if f"${{var.name_prefix}}dial" not in monitoring["dial_queue"] or "dial" not in main_queues:
        fail("the dial queue's name differs between monitoring and the template")
    topics = {sub_suffix(r["Properties"].get("TopicName"))
              for r in resources_of(template, "AWS::SNS::Topic").values()}
    host = json.dumps(hcl["infra/modules/telephony-host/main.tf"]["locals"][0])
    for topic in ["call-events", "donation-events", "optout-events"]:
        if topic not in topics or topic not in host:
            fail(f"topic {topic}: not in both the template and the telephony host's policy")
    if "originate" not in main_queues or "${var.name_prefix}originate" not in host:
        fail("the originate queue's name differs between the host's policy and the template")
    filters = {r["Properties"]["MetricTransformations"][0]["MetricName"]
               for r in resources_of(template, "AWS::Logs::MetricFilter").values()}
    alarms = json.dumps(hcl["infra/modules/monitoring/main.tf"]["resource"])
    used_metrics = set(re.findall(r'"metric_name": "([A-Za-z]+)"', alarms)) - {
        "ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible", "Errors",
        "Invocations", "CPUUtilization", "ExecutionsFailed"}
    for metric in sorted(used_metrics - filters):
        fail(f"alarm metric {metric} has no metric filter in the template")
    machine = resources_of(template, "AWS::Serverless::StateMachine")
    if {sub_suffix(r["Properties"]["Name"]) for r in machine.values()} != {"campaign"}:
        fail("the state machine is not named ${NamePrefix}campaign (alarms and the API name it)")
    report(f"names shared by Terraform and the template ({len(functions)} functions, "
           f"{len(dlqs)} dead-letter queues, {len(topics)} topics, {len(filters)} metrics)", before)


# ---------------------------------------------------------------- 7

def check_parameters(template, hcl):
    before = len(failures)
    params = template["Parameters"]
    required = {n for n, p in params.items() if "Default" not in p}
    samconfig = tomllib.loads((ROOT / "samconfig.toml").read_text())
    terraform = set(hcl["infra/modules/stack/outputs.tf"]["output"]["sam_parameters"][0]["value"])
    for key in sorted(terraform - set(params)):
        fail(f"Terraform's sam_parameters has {key}, which is not a template parameter")
    envs = sorted(p.name for p in (ROOT / "infra/environments").iterdir() if p.is_dir())
    if envs != ["dev", "prod", "staging"]:
        fail(f"infra/environments: {envs}")
    for env in envs:
        section = samconfig.get(env, {}).get("deploy", {}).get("parameters")
        if section is None:
            fail(f"samconfig.toml has no [{env}.deploy.parameters]")
            continue
        given = dict(item.split("=", 1) for item in section["parameter_overrides"].split())
        for key in sorted(set(given) - set(params)):
            fail(f"samconfig {env}: {key} is not a template parameter")
        for key in sorted(required - set(given) - terraform):
            fail(f"samconfig {env}: template parameter {key} is set by neither samconfig nor Terraform")
        if given.get("Stage") != env:
            fail(f"samconfig {env}: Stage={given.get('Stage')}")
        for key, value in given.items():
            allowed = params.get(key, {}).get("AllowedValues")
            if allowed and value not in [str(a) for a in allowed]:
                fail(f"samconfig {env}: {key}={value} is not one of {allowed}")
    report(f"stage parameters: {len(required)} required, from samconfig.toml and Terraform "
           f"({len(terraform)} outputs) for {', '.join(envs)}", before)


# ---------------------------------------------------------------- 8

def statements(node):
    if isinstance(node, dict):
        if "Effect" in node and ("Action" in node or "NotAction" in node):
            yield node
        for value in node.values():
            yield from statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from statements(value)


def check_iam(template):
    before = len(failures)
    count = 0
    for name, res in template["Resources"].items():
        for st in statements(res.get("Properties", {})):
            count += 1
            if "NotAction" in st:
                fail(f"{name}: NotAction in {st.get('Sid', 'a statement')}")
            actions = st.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            for action in actions:
                if isinstance(action, str) and ("*" in action) and st["Effect"] == "Allow":
                    fail(f"{name}: wildcard action {action} in {st.get('Sid', 'a statement')}")
    report(f"no wildcard actions in the template's IAM ({count} statements)", before)


# ---------------------------------------------------------------- 9

# Resource kinds the idle bill counts: prices.yaml `idle` key -> Terraform
# type and CloudFormation type.
IDLE_KINDS = {
    "secrets": ("aws_secretsmanager_secret", "AWS::SecretsManager::Secret"),
    "alarms": ("aws_cloudwatch_metric_alarm", "AWS::CloudWatch::Alarm"),
    "kms_keys": ("aws_kms_key", "AWS::KMS::Key"),
}

# The conditions of `count` expressions, for a stage with everything on:
# each is checked against prod's terraform.tfvars in check_idle_inventory.
IDLE_CONDITIONS = {
    "var.telephony_instance_id == null": False,  # telephony_host = true
    "length(local.replicated) > 0": True,  # replica_region set
}


def _multiplicity(expr, module_locals, where):
    """How many instances a `count` / `for_each` expression makes, for the
    expressions these modules use; anything else fails the check so it is
    taught rather than guessed."""
    if expr is None:
        return 1
    text = expr.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    m = re.fullmatch(r"(.+?)\s*\?\s*(\d+)\s*:\s*(\d+)", text)
    if m and m.group(1).strip() in IDLE_CONDITIONS:
        return int(m.group(2) if IDLE_CONDITIONS[m.group(1).strip()] else m.group(3))

    def items(e):
        e = e.strip()
        inner = re.fullmatch(r"toset\((.*)\)", e)
        if inner:
            return set(items(inner.group(1)))
        inner = re.fullmatch(r"concat\((.*)\)", e)
        if inner:
            return [x for part in inner.group(1).split(",") for x in items(part)]
        name = re.fullmatch(r"local\.(\w+)", e)
        if name and isinstance(module_locals.get(name.group(1)), list):
            return list(module_locals[name.group(1)])
        raise ValueError(e)

    try:
        return len(items(text))
    except ValueError:
        fail(f"idle inventory: cannot count {where} ({expr}): teach consistency.py this expression")
        return 0


def terraform_inventory(hcl):
    """Instances of each counted kind in the stage's modules and the bootstrap."""
    counts = {key: 0 for key in IDLE_KINDS}
    by_module = {}
    for path, doc in hcl.items():
        if not (path.startswith("infra/modules/") or path.startswith("infra/bootstrap/")):
            continue
        module_dir = str(Path(path).parent)
        module_locals = {}
        for other, other_doc in hcl.items():
            if str(Path(other).parent) == module_dir:
                for block in other_doc.get("locals", []):
                    module_locals.update(block)
        for key, (tf_type, _) in IDLE_KINDS.items():
            for name, blocks in doc.get("resource", {}).get(tf_type, {}).items():
                block = blocks[0]
                expr = block.get("count", block.get("for_each"))
                n = _multiplicity(expr, module_locals, f"{tf_type}.{name} in {path}")
                counts[key] += n
                by_module.setdefault(module_dir, 0)
                by_module[module_dir] += n
    # A module called with count / for_each would multiply its resources.
    for path, doc in hcl.items():
        for name, blocks in doc.get("module", {}).items():
            block = blocks[0]
            if "count" in block or "for_each" in block:
                target = str((ROOT / Path(path).parent / block["source"]).resolve().relative_to(ROOT))
                if by_module.get(target):
                    fail(f"idle inventory: module {name} ({target}) is called with count/for_each "
                         "and creates counted resources: teach consistency.py to multiply them")
    return counts


def polled_queues(template):
    """Queues Lambda event sources or Pipes poll even when empty."""
    queues = set()
    for fname, fn in resources_of(template, "AWS::Serverless::Function").items():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event.get("Type") == "SQS":
                queues.add(json.dumps(event["Properties"]["Queue"], sort_keys=True))
    for pipe in resources_of(template, "AWS::Pipes::Pipe").values():
        source = pipe["Properties"]["Source"]
        target = source.get("Fn::GetAtt") if isinstance(source, dict) else None
        logical = (target.split(".")[0] if isinstance(target, str) else (target or [None])[0])
        if logical and template["Resources"].get(logical, {}).get("Type") == "AWS::SQS::Queue":
            queues.add(json.dumps({"Fn::GetAtt": f"{logical}.Arn"}, sort_keys=True))
    return queues


def check_idle_inventory(template, hcl):
    before = len(failures)
    idle = yaml.safe_load((ROOT / "docs/prices.yaml").read_text())["idle"]
    prod = hcl["infra/environments/prod/terraform.tfvars"]
    if prod.get("telephony_host") is not True or not prod.get("replica_region"):
        fail("idle inventory: prod's terraform.tfvars no longer has the telephony host and "
             "replication on; revisit IDLE_CONDITIONS")
    counts = terraform_inventory(hcl)
    for key, (_, cfn_type) in IDLE_KINDS.items():
        counts[key] += len(resources_of(template, cfn_type))
    counts["polled_queues"] = len(polled_queues(template))
    host_vars = hcl["infra/modules/telephony-host/variables.tf"]["variable"]
    counts["telephony_host_disk_gb"] = host_vars["root_volume_gb"][0]["default"]
    for key, n in counts.items():
        if idle.get(key) != n:
            fail(f"docs/prices.yaml idle.{key} is {idle.get(key)}, the infrastructure code has {n}")
    report("idle inventory of docs/prices.yaml = infra/ + template.yaml ("
           + ", ".join(f"{n} {k}" for k, n in counts.items()) + ")", before)


# ---------------------------------------------------------------- 10

def check_sms_secret(hcl):
    before = len(failures)
    src = (ROOT / "shared/aws/src/http_sms.rs").read_text()
    struct = re.search(r"pub struct HttpSmsCredentials \{(.*?)\n\}", src, re.S)
    fields = re.findall(r"pub (\w+):", struct.group(1)) if struct else []
    if not fields:
        fail("shared/aws/src/http_sms.rs has no HttpSmsCredentials fields")
    secret = hcl["infra/modules/secrets/main.tf"]["resource"]["aws_secretsmanager_secret"]["sms_provider"][0]
    described = set(re.findall(r"[a-z_]+", secret["description"]))
    for field in fields:
        if field not in described:
            fail(f"the SMS provider secret's description does not name {field}, which the adapter reads")
    report(f"the SMS provider secret's description names the adapter's fields ({', '.join(fields)})",
           before)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    hcl = json.loads(Path(sys.argv[1]).read_text())
    hcl = {str(Path(k).resolve().relative_to(ROOT)): v for k, v in hcl.items()}
    template = load_template()
    check_functions(template)
    check_workflows(template)
    check_tables(hcl)
    check_names(template, hcl)
    check_parameters(template, hcl)
    check_iam(template)
    check_idle_inventory(template, hcl)
    check_sms_secret(hcl)
    for msg in warnings:
        print(f"warn {msg}")
    if failures:
        print(f"consistency: {len(failures)} problem(s)")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
