//! The `eks-token` binary: reads the process's arguments, environment and clock once, runs,
//! prints the result on stdout and any error as one line on stderr.

use eks_token::env::{Env, RealFs};
use eks_token::log::Log;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::process::ExitCode;
use time::OffsetDateTime;

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect()
    {
        Ok(a) => a,
        Err(_) => {
            eprintln!("eks-token: an argument is not valid UTF-8 (see eks-token --help)");
            return ExitCode::from(2);
        }
    };
    let env = Env::from_process();
    let debug = args.iter().any(|a| a == "--debug")
        || env
            .get("EKS_TOKEN_DEBUG")
            .is_some_and(|v| v != "0" && v != "false");
    let log = Log::stderr(debug);
    let stdin = || {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    };
    let world = eks_token::World {
        env: &env,
        fs: &RealFs,
        now: OffsetDateTime::now_utc(),
        log: &log,
        stdin: &stdin,
        terminal: std::io::stdin().is_terminal(),
        prompt: &prompt,
        http: None,
    };
    match eks_token::run(&args, &world) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                eprintln!("eks-token: could not write to stdout");
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("eks-token: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Prompt on stderr (stdout belongs to kubectl) and read a line from the terminal itself,
/// falling back to stdin.
fn prompt(text: &str) -> std::io::Result<String> {
    eprint!("{text}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    match std::fs::File::open("/dev/tty") {
        Ok(tty) => std::io::BufReader::new(tty).read_line(&mut line)?,
        Err(_) => std::io::stdin().lock().read_line(&mut line)?,
    };
    Ok(line)
}
