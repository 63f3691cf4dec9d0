"""The telephony host's user data -> install script contract.

The EC2 user data (infra/modules/telephony-host/user_data.sh.tftpl, rendered
by Terraform's templatefile with the map in main.tf) writes an env file and
runs infra/asterisk/install.sh --env-file on it. An EC2 first boot cannot run
here, so this test renders the template as templatefile would, with each
environment's terraform.tfvars for the carrier settings, and runs install.sh
with --dry-run on the env file it writes: the script checks every setting
and changes nothing (commands that would change the machine are replaced by
recorders on PATH, and must not be called).

    python3 -m unittest discover -s tests/offline -p 'test_*.py'
"""

import os
import re
import stat
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "infra/modules/telephony-host"
TEMPLATE = MODULE / "user_data.sh.tftpl"
INSTALL = ROOT / "infra/asterisk/install.sh"
ENVIRONMENTS = ["dev", "staging", "prod"]
ACCOUNT = "123456789012"

# Commands that change the machine; the dry run must call none of them.
MACHINE_COMMANDS = ["apt-get", "aws", "curl", "systemctl", "useradd", "install",
                    "snap", "cp", "chmod", "chgrp", "asterisk"]


def render(template, values):
    """Terraform's templatefile for what this template may use: ${name}
    interpolations and $${ escapes. Anything richer (%{ directives, function
    calls) is refused so the test cannot pass on a template it misreads."""
    if "%{" in template.replace("%%{", ""):
        raise AssertionError("the user data uses %{ } directives: teach render() them")
    missing = []

    def sub(m):
        if m.group(1):  # $${...} is a literal ${...}
            return "${" + m.group(2) + "}"
        name = m.group(2)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise AssertionError(f"the user data interpolates an expression: ${{{name}}}")
        if name not in values:
            missing.append(name)
            return ""
        return str(values[name])

    out = re.sub(r"(\$)?\$\{([^}]*)\}", sub, template)
    if missing:
        raise AssertionError(f"templatefile would fail: no value for {sorted(set(missing))}")
    return out


def template_vars(template):
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", template))


def templatefile_keys():
    """The keys of the map main.tf passes to templatefile()."""
    main = (MODULE / "main.tf").read_text()
    m = re.search(r'templatefile\("\$\{path\.module\}/user_data\.sh\.tftpl",\s*\{(.*?)\n\s*\}\)',
                  main, re.S)
    assert m, "main.tf no longer calls templatefile on user_data.sh.tftpl"
    return set(re.findall(r"^\s*([a-z_][a-z0-9_]*)\s*=", m.group(1), re.M))


def tfvars(env):
    """terraform.tfvars of an environment: its simple `key = literal` lines."""
    values = {}
    for line in (ROOT / f"infra/environments/{env}/terraform.tfvars").read_text().splitlines():
        m = re.match(r'^([a-z0-9_]+)\s*=\s*(.+)$', line.strip())
        if not m:
            continue
        raw = m.group(2)
        if raw.startswith("["):
            values[m.group(1)] = re.findall(r'"([^"]*)"', raw)
        elif raw.startswith('"'):
            values[m.group(1)] = raw.strip('"')
        else:
            values[m.group(1)] = raw
    return values


def variable_default(name):
    text = (MODULE / "variables.tf").read_text()
    m = re.search(r'variable "%s" \{.*?default\s*=\s*([^\n]+)' % name, text, re.S)
    assert m, f"telephony-host variable {name} has no default"
    return m.group(1).strip().strip('"')


def template_values(env):
    """What Terraform passes for one environment: the carrier's settings from
    its tfvars, the rest shaped as the module's locals build them."""
    v = tfvars(env)
    region, prefix = v["region"], f"campaign-{env}-"
    topic = f"arn:aws:sns:{region}:{ACCOUNT}:{prefix}"
    return {
        "region": region,
        "artifacts_bucket": f"{prefix}artifacts-{ACCOUNT}",
        "bundle_key": v["telephony_bundle_key"],
        "bundle_sha256": v["telephony_bundle_sha256"],
        "originate_queue_url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{prefix}originate",
        "call_events_topic_arn": topic + "call-events",
        "donation_events_topic": topic + "donation-events",
        "optout_events_topic": topic + "optout-events",
        "table_prefix": prefix,
        "trunk_host": v["carrier_sip_host"],
        "trunk_port": v.get("carrier_sip_port", variable_default("trunk_port")),
        "trunk_match": ",".join(v["carrier_cidrs"]),  # join(",", var.carrier_cidrs)
        "local_net": v["vpc_cidr"],
        "ari_credentials_secret_arn":
            f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{prefix}asterisk-ari-AbCdEf",
        "max_channels": variable_default("max_channels"),
    }


def env_file_and_command(user_data):
    """The heredoc the user data writes, and the install.sh command line."""
    m = re.search(r"^cat > (\S+) <<(\w+)\n(.*?)\n\2$", user_data, re.M | re.S)
    assert m, "the user data writes no env file with a heredoc"
    path, body = m.group(1), m.group(3)
    runs = [line for line in user_data.splitlines() if "asterisk/install.sh" in line
            and not line.lstrip().startswith("#")]
    assert len(runs) == 1, f"the user data should run install.sh once: {runs}"
    return path, body, runs[0].split()


def install_required():
    text = INSTALL.read_text()
    m = re.search(r"^REQUIRED=\((.*?)\)", text, re.M | re.S)
    assert m, "install.sh declares no REQUIRED=(...) list"
    return m.group(1).split()


class DryRun:
    """Runs install.sh --dry-run in a clean environment, with recorders in
    place of the commands that would change the machine."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.bin = self.tmp / "bin"
        self.bin.mkdir()
        self.log = self.tmp / "calls.log"
        for name in MACHINE_COMMANDS:
            stub = self.bin / name
            stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.log}"\nexit 0\n')
            stub.chmod(stub.stat().st_mode | stat.S_IXUSR)

    def run(self, args, env_body):
        env_file = self.tmp / "bridge.env"
        env_file.write_text(env_body + "\n")
        args = [str(env_file) if a == "@ENV@" else a for a in args]
        return subprocess.run(
            ["bash", str(INSTALL), *args, "--dry-run"],
            env={"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(self.tmp)},
            capture_output=True, text=True, timeout=60, check=False)

    def calls(self):
        return self.log.read_text() if self.log.exists() else ""


class UserDataInstallContract(unittest.TestCase):
    def setUp(self):
        self.template = TEMPLATE.read_text()
        self._tmp = tempfile.TemporaryDirectory()
        self.dry = DryRun(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def rendered(self, env):
        user_data = render(self.template, template_values(env))
        path, body, command = env_file_and_command(user_data)
        self.assertIn("--env-file", command, "the user data must hand install.sh its env file")
        args = command[command.index(next(a for a in command if a.endswith("install.sh"))) + 1:]
        args = ["@ENV@" if a == path else a for a in args]
        return body, args

    def test_terraform_gives_the_template_exactly_what_it_uses(self):
        # GIVEN the template and main.tf's templatefile() map
        # THEN every ${name} has a value (else templatefile fails at plan)
        # and every value is used (else a setting silently goes nowhere)
        self.assertEqual(template_vars(self.template), templatefile_keys())
        # and the test knows the value of each one
        self.assertEqual(templatefile_keys(), set(template_values("dev")))

    def test_the_user_data_settings_pass_the_install_script_checks(self):
        for env in ENVIRONMENTS:
            with self.subTest(env=env):
                # GIVEN the user data rendered for the environment
                body, args = self.rendered(env)
                # WHEN install.sh runs on its env file, as the user data runs it
                proc = self.dry.run(args, body)
                # THEN every setting passes and nothing on the machine is touched
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn("nothing was changed", proc.stdout)
                self.assertEqual(self.dry.calls(), "")

    def test_the_user_data_writes_every_setting_the_script_requires(self):
        body, _ = self.rendered("prod")
        given = {line.split("=", 1)[0] for line in body.splitlines() if "=" in line}
        self.assertEqual(set(install_required()) - given, set())
        self.assertTrue({"BRIDGE_BINARY", "BRIDGE_BINARY_URL"} & given,
                        "the user data names no bridge binary")

    def test_a_missing_required_setting_fails_the_dry_run_by_name(self):
        body, args = self.rendered("dev")
        for name in install_required() + ["BRIDGE_BINARY"]:
            with self.subTest(missing=name):
                # GIVEN the user data's env file without one setting
                without = "\n".join(l for l in body.splitlines() if not l.startswith(name + "="))
                # WHEN the dry run checks it
                proc = self.dry.run(args, without)
                # THEN it stops with a usage error naming the setting
                self.assertEqual(proc.returncode, 64, proc.stdout + proc.stderr)
                self.assertIn(name, proc.stderr)

    def test_an_unknown_or_malformed_setting_fails_the_dry_run(self):
        body, args = self.rendered("dev")
        cases = {
            "MAX_CHANNELS=200": "unknown setting MAX_CHANNELS",
            "SIP_TRUNK_SECRET_ID=arn:x": "unknown setting SIP_TRUNK_SECRET_ID",
            "TRUNK_MATCH=0.0.0.0/0,sip.example;": "TRUNK_MATCH",
            "TRUNK_PORT=70000": "TRUNK_PORT",
            "BRIDGE_MAX_CHANNELS=many": "BRIDGE_MAX_CHANNELS",
            "ORIGINATE_QUEUE_URL=http://example.org/q": "ORIGINATE_QUEUE_URL",
        }
        for line, message in cases.items():
            with self.subTest(line=line):
                proc = self.dry.run(args, body + "\n" + line)
                self.assertEqual(proc.returncode, 64, proc.stdout + proc.stderr)
                self.assertIn(message, proc.stderr)
        self.assertEqual(self.dry.calls(), "")

    def test_the_script_refuses_arguments_it_does_not_know(self):
        proc = subprocess.run(["bash", str(INSTALL), "--env"], capture_output=True, text=True,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, check=False)
        self.assertEqual(proc.returncode, 64)
        self.assertIn("usage", proc.stderr)


if __name__ == "__main__":
    unittest.main()
