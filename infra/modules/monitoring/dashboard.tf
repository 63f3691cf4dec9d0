# One dashboard for a running campaign: calls placed / failed / answered,
# the dial queue, the workers, the dead letters, the host, the workflow.

locals {
  fn = var.name_prefix
  widgets = concat([
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title  = "Calls a minute"
        region = local.region
        stat   = "Sum"
        period = 60
        metrics = [
          [local.namespace, "DialPlaced", { label = "placed" }],
          [local.namespace, "DialFailed", { label = "failed to place" }],
          [local.namespace, "CallsAnswered", { label = "answered" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title  = "Send error % and answer %"
        region = local.region
        period = 300
        yAxis  = { left = { min = 0, max = 100 } }
        metrics = [
          [{ expression = "IF((p + f) > 0, 100 * f / (p + f), 0)", label = "send error %", id = "e" }],
          [{ expression = "IF(p > 0, 100 * a / p, 0)", label = "answer %", id = "r" }],
          [local.namespace, "DialPlaced", { id = "p", stat = "Sum", visible = false }],
          [local.namespace, "DialFailed", { id = "f", stat = "Sum", visible = false }],
          [local.namespace, "CallsAnswered", { id = "a", stat = "Sum", visible = false }],
        ]
        annotations = { horizontal = [{ value = 20, label = "answer-rate alarm" }] }
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title  = "Dial queue"
        region = local.region
        period = 60
        metrics = [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dial_queue, { stat = "Maximum", label = "waiting" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", local.dial_queue, { stat = "Maximum", label = "in flight" }],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.dial_queue, { stat = "Maximum", label = "oldest (s)", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ value = 120, label = "age alarm", yAxis = "right" }] }
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title   = "Dead-letter queues"
        region  = local.region
        period  = 60
        stat    = "Maximum"
        metrics = [for q in local.dead_letter_queues : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${var.name_prefix}${q}", { label = q }]]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title   = "Function errors"
        region  = local.region
        period  = 60
        stat    = "Sum"
        metrics = [for f in local.functions : ["AWS/Lambda", "Errors", "FunctionName", "${local.fn}${f}", { label = f }]]
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title  = "Concurrency and throttles (dialer-worker)"
        region = local.region
        period = 60
        metrics = [
          ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", "${local.fn}dialer-worker", { stat = "Maximum" }],
          ["AWS/Lambda", "Throttles", "FunctionName", "${local.fn}dialer-worker", { stat = "Sum" }],
          ["AWS/Lambda", "Duration", "FunctionName", "${local.fn}dialer-worker", { stat = "p95", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 18, width = 12, height = 6
      properties = {
        title  = "Campaign workflows"
        region = local.region
        period = 300
        stat   = "Sum"
        metrics = [
          ["AWS/States", "ExecutionsStarted", "StateMachineArn", local.state_machine_arn],
          ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", local.state_machine_arn],
          ["AWS/States", "ExecutionsFailed", "StateMachineArn", local.state_machine_arn],
        ]
      }
    },
    ], var.telephony_instance_id == null ? [] : [
    {
      type = "metric", x = 12, y = 18, width = 12, height = 6
      properties = {
        title  = "Telephony host"
        region = local.region
        period = 60
        metrics = [
          ["AWS/EC2", "CPUUtilization", "InstanceId", var.telephony_instance_id, { stat = "Average" }],
          ["AWS/EC2", "NetworkPacketsIn", "InstanceId", var.telephony_instance_id, { stat = "Sum", yAxis = "right" }],
        ]
        annotations = { horizontal = [{ value = 80, label = "CPU alarm" }] }
      }
    },
  ])
}

resource "aws_cloudwatch_dashboard" "campaign" {
  dashboard_name = "${trimsuffix(var.name_prefix, "-")}-campaign"
  dashboard_body = jsonencode({ widgets = local.widgets })
}
