"""The campaign workflow (statemachines/campaign.asl.json) on the local AWS
emulator's Step Functions interpreter (moto).

moto cannot run our Lambda code, so each test queues the results the
dispatcher and report-generator tasks answer (moto's canned Lambda
responses, taken in invocation order) and checks the workflow's own paths:
which tasks ran with what input, where it ended, and what it published on
SNS. Each test uses its own region, so the canned-response queues (one per
account and region) never mix and no reset of the shared emulator is needed.

Run by tests/offline-checks while tests/run has the emulator up:

    AWS_ENDPOINT_URL=$(tests/emulator start) .venv-moto/bin/python -m unittest \
        discover -s tests/workflow -v

Without AWS_ENDPOINT_URL every test is skipped with the reason.
"""

import io
import json
import os
import re
import time
import unittest
import urllib.request
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASL = ROOT / "statemachines" / "campaign.asl.json"
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL")
ACCOUNT = "123456789012"  # moto's default account

try:
    import boto3
except ImportError:  # only the emulator's virtualenv has it
    boto3 = None

SKIP_REASON = (
    "AWS_ENDPOINT_URL is not set (start the emulator: tests/emulator start)"
    if not ENDPOINT
    else "boto3 is missing: run with .venv-moto/bin/python"
)


def moto_api(path, body):
    req = urllib.request.Request(
        f"{ENDPOINT}/moto-api/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read()


def state(phase, status, total=10, terminal=0, dispatched=0, scheduled_start=None):
    """A WorkflowState as the dispatcher answers it."""
    return {
        "version": 1,
        "campaign_id": "cmp-wf-1",
        "phase": phase,
        "campaign_status": status,
        "scheduled_start": scheduled_start,
        "dispatched": dispatched,
        "total_contacts": total,
        "terminal_contacts": terminal,
        "report_url": None,
    }


REPORT_URL = "https://reports.example.org/reports/cmp-wf-1/20260302T090000Z.pdf?X-Amz-Expires=43200"


def report(total=10):
    """What report-generator answers: the state, the links, the counts."""
    out = state("completed", "completed", total=total, terminal=total)
    out["report_url"] = REPORT_URL
    out["reports"] = {"pdf": {"key": "reports/cmp-wf-1/20260302T090000Z.pdf", "url": REPORT_URL,
                              "expires_at": "2026-03-02T21:00:00Z"}}
    return out


# Lambda answers a response over 6 MB with an unhandled function error
# (Function.ResponseSizeTooLarge); it is the one function error moto's Lambda
# without Docker can produce, so it stands in for a task that crashed.
FUNCTION_ERROR = "x" * 6_000_100


@unittest.skipUnless(ENDPOINT and boto3, SKIP_REASON)
class CampaignWorkflow(unittest.TestCase):
    regions = iter(["us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
                    "ap-southeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1"])

    @classmethod
    def setUpClass(cls):
        moto_api("config", {"stepfunctions": {"execute_state_machine": True},
                            "lambda": {"use_docker": False}})

    def client(self, service):
        return boto3.client(service, endpoint_url=ENDPOINT, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def setUp(self):
        self.region = next(self.regions)
        self.sfn = self.client("stepfunctions")
        lam, iam, sns, sqs = (self.client(s) for s in ("lambda", "iam", "sns", "sqs"))
        suffix = uuid.uuid4().hex[:8]
        role = iam.create_role(RoleName=f"wf-{suffix}", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
                           "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        self.role = role
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as z:
            z.writestr("bootstrap", "#!/bin/sh\n")
        self.functions = {}
        for name in ("dispatcher", "report-generator"):
            self.functions[name] = lam.create_function(
                FunctionName=f"{name}-{suffix}", Runtime="provided.al2023", Role=role,
                Handler="bootstrap", Code={"ZipFile": code.getvalue()},
                Architectures=["arm64"])["FunctionArn"]
        self.topic = sns.create_topic(Name=f"campaign-notifications-{suffix}")["TopicArn"]
        self.sqs = sqs
        self.inbox = sqs.create_queue(QueueName=f"notifications-{suffix}")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=self.inbox, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=inbox_arn,
                      Attributes={"RawMessageDelivery": "true"})
        self.suffix = suffix

    # -- helpers -------------------------------------------------------

    def create_state_machine(self, **overrides):
        values = {
            "DispatcherFunctionArn": self.functions["dispatcher"],
            "ReportGeneratorFunctionArn": self.functions["report-generator"],
            "NotificationsTopicArn": self.topic,
            "MonitorIntervalSeconds": "1",
            "RoundsPerExecution": "800",
            "TelephonyInstanceId": "",
        }
        values.update(overrides)
        text = ASL.read_text()
        placeholders = set(re.findall(r"\$\{([A-Za-z0-9]+)\}", text))
        self.assertEqual(placeholders, set(values),
                         "the test fills every ${...} of the definition, and only those")
        for key, value in values.items():
            text = text.replace("${" + key + "}", value)
        return self.sfn.create_state_machine(
            name=f"campaign-{self.suffix}-{uuid.uuid4().hex[:4]}", definition=text,
            roleArn=self.role)["stateMachineArn"]

    def answers(self, *results):
        """Queue what the Lambda tasks answer, in invocation order."""
        moto_api("static/lambda-simple/response", {
            "account_id": ACCOUNT, "region": self.region,
            "results": [r if isinstance(r, str) else json.dumps(r) for r in results]})

    def run_workflow(self, machine, workflow_input, timeout=90):
        execution = self.sfn.start_execution(
            stateMachineArn=machine, name=f"cmp-wf-1-{uuid.uuid4().hex[:8]}",
            input=json.dumps(workflow_input))["executionArn"]
        deadline = time.monotonic() + timeout
        while True:
            desc = self.sfn.describe_execution(executionArn=execution)
            if desc["status"] != "RUNNING":
                break
            self.assertLess(time.monotonic(), deadline, "the execution did not finish in time")
            time.sleep(0.2)
        events = self.sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
        return desc, events

    @staticmethod
    def entered(events):
        """The states entered, in order."""
        return [e["stateEnteredEventDetails"]["name"] for e in events
                if "stateEnteredEventDetails" in e]

    def task_inputs(self, events, function):
        """The payload of every invocation of `function`, in order (retries included)."""
        out = []
        for e in events:
            details = e.get("lambdaFunctionScheduledEventDetails")
            if details and details["resource"] == self.functions[function]:
                out.append(json.loads(details["input"]))
        return out

    def notifications(self, expected):
        got = []
        deadline = time.monotonic() + 10
        while len(got) < expected and time.monotonic() < deadline:
            resp = self.sqs.receive_message(QueueUrl=self.inbox, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=1)
            got.extend(m["Body"] for m in resp.get("Messages", []))
        return got

    # -- the paths -----------------------------------------------------

    def test_no_contacts_completes_with_a_report_and_no_dispatch(self):
        # GIVEN a campaign without contacts: validate starts it and progress
        # completes it at once
        machine = self.create_state_machine()
        self.answers(state("completed", "completed", total=0), report(total=0))
        # WHEN the workflow runs
        desc, events = self.run_workflow(machine, {"version": 1, "campaign_id": "cmp-wf-1",
                                                   "scheduled_start": None})
        # THEN it succeeds as completed without dispatching, and says so on SNS
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        states = self.entered(events)
        self.assertNotIn("Dispatch", states)
        self.assertEqual(states[-1], "CampaignCompleted")
        self.assertEqual([i["task"] for i in self.task_inputs(events, "dispatcher")], ["validate"])
        self.assertEqual(self.task_inputs(events, "report-generator"),
                         [{"campaign_id": "cmp-wf-1", "formats": ["csv", "xlsx", "pdf"]}])
        [message] = self.notifications(1)
        self.assertIn("cmp-wf-1 is complete: 0 of 0 contacts", message)
        self.assertIn(REPORT_URL, message)

    def test_dispatch_wait_progress_loop_then_report_and_notification(self):
        # GIVEN an active campaign whose contacts finish over two rounds, with
        # a scheduled start already passed
        machine = self.create_state_machine()
        start = "2026-01-01T08:00:00Z"
        self.answers(
            state("running", "active", scheduled_start=start),                 # validate
            state("running", "active", dispatched=6, terminal=0),              # dispatch
            state("running", "active", terminal=6),                            # progress
            state("running", "active", dispatched=4, terminal=6),              # dispatch
            state("completed", "completed", terminal=10),                      # progress
            report(),
        )
        # WHEN the workflow runs
        desc, events = self.run_workflow(machine, {"version": 1, "campaign_id": "cmp-wf-1",
                                                   "scheduled_start": start})
        # THEN it validates, waits for the start, loops dispatch → wait → progress,
        # makes the report and publishes its link
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        tasks = [i["task"] for i in self.task_inputs(events, "dispatcher")]
        self.assertEqual(tasks, ["validate", "dispatch", "progress", "dispatch", "progress"])
        states = self.entered(events)
        self.assertIn("WaitForStart", states)
        self.assertEqual(states.count("WaitBetweenRounds"), 2)
        # Each task gets the previous task's state.
        inputs = self.task_inputs(events, "dispatcher")
        self.assertEqual(inputs[0]["state"], {"version": 1, "campaign_id": "cmp-wf-1",
                                              "scheduled_start": start})
        self.assertEqual(inputs[2]["state"]["dispatched"], 6)
        self.assertEqual(inputs[4]["state"]["dispatched"], 4)
        self.assertEqual(len(self.task_inputs(events, "report-generator")), 1)
        output = json.loads(desc["output"])
        self.assertEqual(output["report"]["report_url"], REPORT_URL)
        [message] = self.notifications(1)
        self.assertIn("cmp-wf-1 is complete: 10 of 10 contacts", message)
        self.assertIn(REPORT_URL, message)

    def test_paused_campaign_waits_without_dispatching(self):
        # GIVEN a campaign paused before the workflow began, resumed two rounds later
        machine = self.create_state_machine()
        self.answers(
            state("paused", "paused"),                                         # validate
            state("paused", "paused"),                                         # progress
            state("running", "active"),                                        # progress
            state("completed", "completed", dispatched=10, terminal=10),      # dispatch
            report(),
        )
        # WHEN the workflow runs
        desc, events = self.run_workflow(machine, {"version": 1, "campaign_id": "cmp-wf-1",
                                                   "scheduled_start": None})
        # THEN nothing is dispatched while it is paused
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        tasks = [i["task"] for i in self.task_inputs(events, "dispatcher")]
        self.assertEqual(tasks, ["validate", "progress", "progress", "dispatch"])
        self.assertEqual(self.entered(events)[-1], "CampaignCompleted")

    def test_cancelled_campaign_ends_without_report(self):
        # GIVEN a campaign cancelled while it runs
        machine = self.create_state_machine()
        self.answers(state("running", "active"), state("stopped", "cancelled"))
        # WHEN the workflow runs
        desc, events = self.run_workflow(machine, {"version": 1, "campaign_id": "cmp-wf-1",
                                                   "scheduled_start": None})
        # THEN it ends at once: no report, no notification
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        self.assertEqual(self.entered(events)[-1], "CampaignEnded")
        self.assertEqual(self.task_inputs(events, "report-generator"), [])
        self.assertEqual(self.notifications(0), [])

    def test_task_failure_is_retried_then_caught_and_the_campaign_paused(self):
        # GIVEN a dispatch task that crashes on every attempt (not one of our
        # permanent errors: an outage or a crash, so the campaign is paused for
        # the operator to resume, not failed)
        machine = self.create_state_machine()
        self.answers(
            state("running", "active"),                                        # validate
            FUNCTION_ERROR, FUNCTION_ERROR, FUNCTION_ERROR,                    # dispatch ×3
            state("paused", "paused"),                                         # pause
        )
        # WHEN the workflow runs
        desc, events = self.run_workflow(machine, {"version": 1, "campaign_id": "cmp-wf-1",
                                                   "scheduled_start": None})
        # THEN the task is tried three times (two retries), the error is caught,
        # the campaign is paused with the error, the topic is told, and the
        # execution fails
        self.assertEqual(desc["status"], "FAILED", desc)
        self.assertEqual(desc.get("error"), "CampaignFailed")
        inputs = self.task_inputs(events, "dispatcher")
        self.assertEqual([i["task"] for i in inputs],
                         ["validate", "dispatch", "dispatch", "dispatch", "pause"])
        self.assertEqual(inputs[-1]["state"]["campaign_id"], "cmp-wf-1")
        self.assertEqual(inputs[-1]["error"]["Error"], "Function.ResponseSizeTooLarge")
        states = self.entered(events)
        self.assertIn("RouteFailure", states)
        self.assertNotIn("MarkFailed", states)
        self.assertEqual(states[-4:], ["NotifyPaused", "ReleaseTelephonyHost", "Finish",
                                       "CampaignFailed"])
        [message] = self.notifications(1)
        self.assertIn("cmp-wf-1 was paused after an error (Function.ResponseSizeTooLarge)", message)

    def test_report_failure_leaves_the_campaign_complete_and_says_so(self):
        # GIVEN a campaign that completes but whose report task keeps crashing
        machine = self.create_state_machine()
        self.answers(state("completed", "completed", total=3, terminal=3),
                     FUNCTION_ERROR, FUNCTION_ERROR, FUNCTION_ERROR)
        # WHEN the workflow runs
        desc, events = self.run_workflow(machine, {"version": 1, "campaign_id": "cmp-wf-1",
                                                   "scheduled_start": None})
        # THEN the report is tried three times, the campaign is neither failed
        # nor paused, the notification says the report is missing, and the
        # execution fails (so the workflow alarm fires)
        self.assertEqual(desc["status"], "FAILED", desc)
        self.assertEqual(len(self.task_inputs(events, "report-generator")), 3)
        self.assertEqual([i["task"] for i in self.task_inputs(events, "dispatcher")], ["validate"])
        states = self.entered(events)
        self.assertNotIn("RouteFailure", states)
        self.assertIn("NotifyReportFailed", states)
        [message] = self.notifications(1)
        self.assertIn("cmp-wf-1 is complete, but its report could not be made", message)

    def scheduled(self, events, resource_suffix):
        """The parameters of every service task whose resource ends with `resource_suffix`."""
        out = []
        for e in events:
            details = e.get("taskScheduledEventDetails")
            if details and f"{details['resourceType']}:{details['resource']}".endswith(
                    resource_suffix):
                out.append(json.loads(details["parameters"]))
        return out

    def ended_or_hit_moto_sfn_gap(self, desc, events, last_state):
        """moto 5.2.5 runs Step Functions' own API actions as tasks without
        translating their parameters: StartExecution and ListExecutions fail
        inside the emulator with KeyError 'StateMachineArn' (a States.Runtime
        error that AWS would not raise and that moto, unlike AWS, lets a
        States.ALL catcher take). Returns True when that failure, and only that
        one, happened; otherwise the run must have ended in `last_state`."""
        failures = [e["taskFailedEventDetails"] for e in events if "taskFailedEventDetails" in e]
        if failures == [{"error": "States.Runtime", "cause": "'StateMachineArn'"}]:
            return True
        self.assertEqual(failures, [])
        self.assertEqual(desc["status"], "SUCCEEDED", desc)
        self.assertEqual(self.entered(events)[-1], last_state)
        return False

    def test_long_campaign_continues_in_a_new_execution(self):
        # GIVEN a deployment that hands over to a new execution after one round
        machine = self.create_state_machine(RoundsPerExecution="1")
        self.answers(state("running", "active"), state("running", "active", dispatched=5))
        # WHEN the workflow runs
        desc, events = self.run_workflow(machine, {"version": 1, "campaign_id": "cmp-wf-1",
                                                   "scheduled_start": None})
        # THEN after one round it starts this state machine again for the same
        # campaign, linked to this execution, instead of checking progress
        self.assertNotIn("Progress", self.entered(events))
        [started] = self.scheduled(events, "states:startExecution")
        self.assertEqual(started["StateMachineArn"], machine)
        self.assertEqual(started["Input"], {
            "version": 1, "campaign_id": "cmp-wf-1", "scheduled_start": None,
            "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": desc["executionArn"]})
        self.ended_or_hit_moto_sfn_gap(desc, events, "ContinuedInNewExecution")

    def test_telephony_host_is_started_before_dispatch_and_released_at_the_end(self):
        # GIVEN a deployment with a telephony host that is stopped
        ec2 = self.client("ec2")
        host = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)[
            "Instances"][0]["InstanceId"]
        ec2.stop_instances(InstanceIds=[host])
        machine = self.create_state_machine(TelephonyInstanceId=host)
        self.answers(state("running", "active"),
                     state("completed", "completed", dispatched=10, terminal=10), report())
        # WHEN the workflow runs
        desc, events = self.run_workflow(machine, {"version": 1, "campaign_id": "cmp-wf-1",
                                                   "scheduled_start": None})
        # THEN the host is started before the first dispatch, and at the end
        # the workflow asks whether another campaign still runs before stopping it
        states = self.entered(events)
        self.assertLess(states.index("StartTelephonyHost"), states.index("Dispatch"))
        self.assertEqual(self.scheduled(events, "ec2:startInstances"), [{"InstanceIds": [host]}])
        [listing] = self.scheduled(events, "sfn:listExecutions")
        self.assertEqual(listing, {"StateMachineArn": machine, "StatusFilter": "RUNNING",
                                   "MaxResults": 2})
        if self.ended_or_hit_moto_sfn_gap(desc, events, "CampaignCompleted"):
            # The gap ended the run before the host could be released; it was started.
            instance = ec2.describe_instances(InstanceIds=[host])["Reservations"][0]["Instances"][0]
            self.assertEqual(instance["State"]["Name"], "running")
        else:
            self.assertEqual(self.scheduled(events, "ec2:stopInstances"), [{"InstanceIds": [host]}])


if __name__ == "__main__":
    unittest.main()
