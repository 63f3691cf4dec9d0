region              = "eu-central-1"
stage               = "dev"
dashboard_origins   = ["https://dashboard.dev.example.org", "http://localhost:5173"]
availability_zones  = ["eu-central-1a", "eu-central-1b"]
vpc_cidr            = "10.40.0.0/16"
deletion_protection = false
log_retention_days  = 14
telephony_host      = true
# The carrier's SIP host and networks: replace these documentation
# placeholders (RFC 2606 name, RFC 5737 ranges).
carrier_sip_host        = "sip.carrier.example"
carrier_cidrs           = ["192.0.2.0/28"]
telephony_instance_type = "t4g.medium"
telephony_bundle_key    = "telephony/0.1.0.tar.gz"
telephony_bundle_sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
