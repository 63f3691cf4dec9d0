# Alarms and the campaign dashboard. The thresholds are those of 000_* and
# 003_*. The application's resources (functions, queues, the state machine)
# belong to the SAM stack; they are named here by the shared prefix, and the
# offline checks compare these lists with template.yaml. An alarm whose
# resource does not exist yet waits in INSUFFICIENT_DATA.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region    = data.aws_region.current.name
  namespace = "VoiceCampaigns/${var.stage}" # the template's metric filters

  # Every function of template.yaml.
  functions = [
    "api-handler",
    "dispatcher",
    "enricher",
    "dialer-worker",
    "call-events",
    "sms-tts-fallback",
    "blacklist",
    "report-generator",
    "connect-hooks",
    "contact-importer",
  ]

  # Every dead-letter queue of template.yaml.
  dead_letter_queues = [
    "dial-dlq",
    "originate-dlq",
    "call-events-dlq",
    "sms-tts-fallback-dlq",
    "blacklist-dlq",
  ]

  # Dead-letter queues Terraform owns (infra/modules/data: the contact
  # import queue, which the uploads bucket's notification needs).
  terraform_dead_letter_queues = [
    "contact-imports-dlq",
  ]

  dial_queue        = "${var.name_prefix}dial"
  state_machine_arn = "arn:aws:states:${local.region}:${data.aws_caller_identity.current.account_id}:stateMachine:${var.name_prefix}campaign"
  alarm_actions     = [aws_sns_topic.alarms.arn]
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "alarm_emails" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# ------------------------------------------------------------ campaign health

# 000_*: campaign send error > 1 % for 5 minutes. A send error is a call the
# carrier refused or could not take; below 20 attempts a minute one failure
# is noise, not a rate.
resource "aws_cloudwatch_metric_alarm" "send_errors" {
  alarm_name          = "${var.name_prefix}send-errors-above-1pct"
  alarm_description   = "More than 1 % of call attempts failed to be placed, 5 minutes in a row (000_*). Check the carrier / telephony host, then the dialer-worker's logs (result Rejected / CarrierBusy)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 1
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF((placed + failed) >= 20, 100 * failed / (placed + failed), 0)"
    label       = "send error %"
    return_data = true
  }
  metric_query {
    id = "placed"
    metric {
      namespace   = local.namespace
      metric_name = "DialPlaced"
      period      = 60
      stat        = "Sum"
    }
  }
  metric_query {
    id = "failed"
    metric {
      namespace   = local.namespace
      metric_name = "DialFailed"
      period      = 60
      stat        = "Sum"
    }
  }
}

# 003_*: answer rate below 20 % (the adaptive pace slows down at the same
# point); judged over 15 minutes and only from 50 attempts on.
resource "aws_cloudwatch_metric_alarm" "answer_rate" {
  alarm_name          = "${var.name_prefix}answer-rate-below-20pct"
  alarm_description   = "Fewer than 20 % of placed calls were answered over 15 minutes (003_*): a bad list, the wrong hours, or the carrier's caller id is being blocked."
  comparison_operator = "LessThanThreshold"
  threshold           = 20
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(placed >= 50, 100 * answered / placed, 100)"
    label       = "answer %"
    return_data = true
  }
  metric_query {
    id = "placed"
    metric {
      namespace   = local.namespace
      metric_name = "DialPlaced"
      period      = 900
      stat        = "Sum"
    }
  }
  metric_query {
    id = "answered"
    metric {
      namespace   = local.namespace
      metric_name = "CallsAnswered"
      period      = 900
      stat        = "Sum"
    }
  }
}

# 000_*: queue backlog older than 2 minutes.
resource "aws_cloudwatch_metric_alarm" "dial_queue_age" {
  alarm_name          = "${var.name_prefix}dial-queue-older-than-2min"
  alarm_description   = "The oldest dial task waited more than 2 minutes (000_*): the Pipe, the enricher or the dialer-worker is stuck or throttled, or the pace is far below what was dispatched."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = local.dial_queue }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 120
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Any message in a dead-letter queue (README: drain and replay a DLQ).
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = toset(concat(local.dead_letter_queues, local.terraform_dead_letter_queues))

  alarm_name          = "${var.name_prefix}${each.key}-not-empty"
  alarm_description   = "A message is in ${var.name_prefix}${each.key}. Read it, fix the cause, replay it (README runbook 'Drain and replay a DLQ')."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = "${var.name_prefix}${each.key}" }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Lambda errors above 5 % of invocations over 5 minutes (from 10 invocations).
resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = toset(local.functions)

  alarm_name          = "${var.name_prefix}${each.key}-errors-above-5pct"
  alarm_description   = "More than 5 % of ${each.key}'s invocations failed over 5 minutes. Its log lines carry error_type."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 5
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(invocations >= 10, 100 * errors / invocations, 0)"
    label       = "error %"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Errors"
      dimensions  = { FunctionName = "${var.name_prefix}${each.key}" }
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/Lambda"
      metric_name = "Invocations"
      dimensions  = { FunctionName = "${var.name_prefix}${each.key}" }
      period      = 300
      stat        = "Sum"
    }
  }
}

# 000_*: CPU above 80 % for 15 minutes (the telephony host; the dialer's
# adaptive pace already halves at 80 %).
resource "aws_cloudwatch_metric_alarm" "host_cpu" {
  count = var.telephony_instance_id == null ? 0 : 1

  alarm_name          = "${var.name_prefix}telephony-cpu-above-80pct"
  alarm_description   = "The telephony host's CPU stayed above 80 % for 15 minutes (000_*): lower the campaigns' pace or move to a larger instance / a second host."
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  dimensions          = { InstanceId = var.telephony_instance_id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = 80
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "workflow_failures" {
  alarm_name          = "${var.name_prefix}campaign-workflow-failed"
  alarm_description   = "A campaign workflow ended in its failure branch (the campaign is marked failed; the notification says why). README: resume a campaign after an outage."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = local.state_machine_arn }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
