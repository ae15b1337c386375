//! TLS for reqwest without aws-lc: rustls with the `ring` provider, the platform's roots plus Mozilla's bundled roots.

use std::sync::Arc;

use rustls::ClientConfig;

use crate::error::Error;

/// A rustls client config for `api.*.intercom.io`: ring crypto, certificates checked by the platform verifier
/// against the system's roots and the bundled webpki roots (so it also works in images without CA files),
/// ALPN for HTTP/2 and HTTP/1.1. No process-wide crypto provider is installed.
pub(crate) fn client_config() -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned(),
        Arc::clone(&provider),
    )
    .map_err(|e| Error::Config(format!("tls certificate verifier: {e}")))?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls protocol versions: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_ring_backed_config_that_reqwest_accepts() {
        let config = match client_config() {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            config.alpn_protocols.first().map(Vec::as_slice),
            Some(&b"h2"[..])
        );
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(config)
            .build();
        assert!(client.is_ok(), "{client:?}");
    }
}
