//! A test helper: performs the operations named on its command line and prints, for each,
//! `OP ARG: ok` or `OP ARG: errno N`, so that tests can assert the exact answer the kernel
//! gave inside a sandboxed child process.
//!
//! Operations: `read PATH`, `write PATH` (create or truncate), `list DIR`, `run PROGRAM`,
//! `connect PORT` (127.0.0.1), `bind PORT` (127.0.0.1).

use std::io;
use std::net::{TcpListener, TcpStream};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [op, arg] = pair else {
            eprintln!("usage: probe (OP ARG)...");
            std::process::exit(2);
        };
        let result: io::Result<()> = match op.as_str() {
            "read" => std::fs::read(arg).map(drop),
            "write" => std::fs::write(arg, b"probe\n"),
            "list" => std::fs::read_dir(arg).map(drop),
            "run" => std::process::Command::new(arg).status().map(drop),
            "connect" => TcpStream::connect(("127.0.0.1", arg.parse::<u16>().unwrap())).map(drop),
            "bind" => TcpListener::bind(("127.0.0.1", arg.parse::<u16>().unwrap())).map(drop),
            _ => {
                eprintln!("unknown operation {op}");
                std::process::exit(2);
            }
        };
        match result {
            Ok(()) => println!("{op} {arg}: ok"),
            Err(e) => println!("{op} {arg}: errno {}", e.raw_os_error().unwrap_or(-1)),
        }
    }
}
