//! Choosing the carrier for a function that places calls (dialer-worker,
//! sms-tts-fallback): the `TELEPHONY_PROVIDER` setting read once, and the
//! telephony port built from it.

use std::sync::Arc;

use campaign_aws::AwsPorts;
use campaign_core::ports::Telephony;
use lambda_kit::FunctionError;
use lambda_kit::config::TelephonyConfig;

use crate::config::ConnectConfig;
use crate::telephony::ConnectTelephony;

/// `TELEPHONY_PROVIDER` and, for Connect, its `CONNECT_*` settings.
pub fn carrier_config(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(TelephonyConfig, Option<ConnectConfig>), FunctionError> {
    let telephony = TelephonyConfig::from_lookup(lookup)?;
    let connect = match telephony {
        TelephonyConfig::Connect => Some(ConnectConfig::from_lookup(lookup)?),
        TelephonyConfig::Asterisk { .. } => None,
    };
    Ok((telephony, connect))
}

/// The telephony port: the originate queue to the Asterisk hosts, or
/// Connect with one API rate for the whole fleet (kept in the counters table).
pub fn telephony(
    aws: &AwsPorts,
    telephony: &TelephonyConfig,
    connect: Option<&ConnectConfig>,
) -> Result<Arc<dyn Telephony>, String> {
    Ok(match telephony {
        TelephonyConfig::Asterisk {
            originate_queue_url,
        } => aws.originate_queue(originate_queue_url),
        TelephonyConfig::Connect => {
            let connect = connect
                .cloned()
                .ok_or("TELEPHONY_PROVIDER=connect without its settings")?;
            let sdk = aws
                .sdk_config
                .as_ref()
                .ok_or("no AWS configuration for Connect")?;
            Arc::new(
                ConnectTelephony::new(aws_sdk_connect::Client::new(sdk), connect).with_shared_rate(
                    aws.counters(),
                    aws.clock.clone(),
                    std::time::Duration::from_secs(2),
                ),
            )
        }
    })
}
