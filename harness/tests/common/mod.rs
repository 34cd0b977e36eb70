//! A fake AWS endpoint for tests: canned answers by action, to see how the harness takes them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

/// A plain HTTP/1.1 server on a free port, one connection at a time, until the test ends: it
/// answers each request with `answer(<X-Amz-Target action>)` (status, body).
pub fn serve(answer: fn(&str) -> (u16, &'static str)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            loop {
                let (mut action, mut length) = (String::new(), 0usize);
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let (name, value) = line.split_once(':').unwrap_or_default();
                    match name.to_ascii_lowercase().as_str() {
                        "x-amz-target" => action = value.trim().rsplit('.').next().unwrap_or_default().to_owned(),
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let (status, json) = answer(&action);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{json}",
                    json.len()
                );
                if reader.get_mut().write_all(reply.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    port
}

