# The DynamoDB tables, exactly as the adapters use them
# (shared/aws/src/dynamodb/schema.rs creates the same ones for the tests; the
# offline checks compare the two). Values are stored whole as JSON in a `body`
# attribute; only keys and index keys are declared here.

locals {
  tables = {
    campaigns = {
      hash  = "id"
      range = null
      indexes = {
        by_created = { hash = "list_pk", range = "created_key" }
      }
      ttl = false
    }
    contacts = {
      hash  = "campaign_id"
      range = "contact_id"
      indexes = {
        due      = { hash = "due_pk", range = "due_sk" }
        by_phone = { hash = "phone", range = "campaign_id" }
      }
      ttl = false
    }
    blacklist = {
      hash  = "phone"
      range = "sk"
      indexes = {
        entries = { hash = "list_pk", range = "phone" }
      }
      ttl = false
    }
    "call-records" = {
      hash  = "call_id"
      range = null
      indexes = {
        by_campaign = { hash = "campaign_id", range = "call_id" }
      }
      ttl = false
    }
    "audit-log" = {
      hash    = "target"
      range   = "sk"
      indexes = {}
      ttl     = false
    }
    counters = {
      hash    = "pk"
      range   = "sk"
      indexes = {}
      ttl     = true
    }
  }
}

resource "aws_dynamodb_table" "this" {
  for_each = local.tables

  name         = "${var.table_prefix}${each.key}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = each.value.hash
  range_key    = each.value.range

  # Every key and index key is a string.
  dynamic "attribute" {
    for_each = toset(compact(concat(
      [each.value.hash, each.value.range],
      flatten([for index in values(each.value.indexes) : [index.hash, index.range]]),
    )))
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.indexes
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value.hash
      range_key       = global_secondary_index.value.range
      projection_type = "ALL"
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl ? [1] : []
    content {
      attribute_name = "expires_at"
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.this.arn
  }

  deletion_protection_enabled = var.deletion_protection

  tags = { Name = "${var.table_prefix}${each.key}" }
}
