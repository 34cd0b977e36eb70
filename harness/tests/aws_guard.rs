//! The guard in front of real AWS, against a fake STS on loopback (no machine here reaches AWS):
//! an account outside the allowlist is refused, and an allowed one still needs a yes.

use std::process::Stdio;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ACCOUNT: &str = "111122223333";
// Fake credentials (the SigV4 test suite's example identity): the test proves they never reach output.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// The GetCallerIdentity response as documented in the STS API reference.
const IDENTITY: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::111122223333:user/Alice</Arn>
    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    <Account>111122223333</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>"#;

/// Answers every HTTP request with the identity above; returns its URL.
async fn fake_sts() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                // Read the head, then as much body as Content-Length says.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\nx-amzn-requestid: 01234567-89ab-cdef-0123-456789abcdef\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{IDENTITY}",
                    IDENTITY.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

/// Runs the binary non-interactively with static credentials and no AWS config files.
async fn conform(args: &[&str]) -> (i32, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_conform"))
        .current_dir(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/conform-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/conform-test-credentials")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("CONFORM_AWS_ACCOUNTS")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains(SECRET), "credentials must never be printed:\n{stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

#[tokio::test]
async fn an_account_outside_the_allowlist_is_refused_and_named() {
    let sts = fake_sts().await;
    let (code, stderr) = conform(&["run", "specs/sqs", "--target", "aws", "--sts-endpoint", &sts]).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&format!("refusing to run in AWS account {ACCOUNT}")), "{stderr}");
    assert!(!stderr.contains("about to run"), "no preview before the account is allowed: {stderr}");

    let (code, stderr) =
        conform(&["run", "specs/sqs", "--target", "aws", "--sts-endpoint", &sts, "--allow-account", "444455556666", "--yes"]).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(ACCOUNT) && stderr.contains("444455556666"), "{stderr}");

    let (code, stderr) = conform(&["sweep", "--older-than", "2h", "--target", "aws", "--sts-endpoint", &sts]).await;
    assert_eq!(code, 3, "sweep goes through the same guard: {stderr}");
    assert!(stderr.contains(ACCOUNT), "{stderr}");
}

#[tokio::test]
async fn an_allowed_account_still_needs_yes_when_not_on_a_terminal() {
    let sts = fake_sts().await;
    let (code, stderr) = conform(&["run", "specs/sqs", "--target", "aws", "--sts-endpoint", &sts, "--allow-account", ACCOUNT]).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains(&format!("in AWS account {ACCOUNT}")), "the preview names the account: {stderr}");
    assert!(stderr.contains("SQS queue(s)") && stderr.contains("API calls"), "{stderr}");
    assert!(stderr.contains("pass --yes"), "{stderr}");
    assert!(!stderr.contains("running "), "nothing ran: {stderr}");
}
