//! A secret typed at a terminal (the client secret, a long-lived token, an authorization code)
//! is not shown as it is typed: echo is turned off on standard input for the read, and turned
//! back on after it — also when the read fails, and when Ctrl-C ends the command meanwhile
//! (`interrupt` calls [`restore_echo`] before exiting). Line editing (backspace) still works,
//! and Enter still moves to the next line. A pipe is not a terminal: nothing changes there.
//!
//! Unix only (termios). On Windows the console keeps echoing.

/// Echo off on a terminal while this lives; nothing on anything else.
pub struct EchoOff {
    /// The terminal and its settings before, to put back.
    #[cfg(unix)]
    saved: Option<(std::os::fd::OwnedFd, rustix::termios::Termios)>,
}

/// The settings to put back if the process is ended while echo is off (`restore_echo`).
#[cfg(unix)]
static SAVED: std::sync::Mutex<Option<(std::os::fd::OwnedFd, rustix::termios::Termios)>> = std::sync::Mutex::new(None);

impl EchoOff {
    /// Echo off on standard input, if it is a terminal.
    pub fn on_stdin() -> EchoOff {
        #[cfg(unix)]
        {
            EchoOff::on(std::os::fd::AsFd::as_fd(&std::io::stdin()))
        }
        #[cfg(not(unix))]
        {
            EchoOff {}
        }
    }

    /// Echo off on `fd`, if it is a terminal: what is typed is not shown, but Enter still is
    /// (ECHONL), and the line can still be edited before Enter (canonical mode stays on).
    #[cfg(unix)]
    pub fn on(fd: std::os::fd::BorrowedFd<'_>) -> EchoOff {
        use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
        let none = EchoOff { saved: None };
        let Ok(before) = tcgetattr(fd) else { return none };
        let (Ok(mine), Ok(for_exit)) = (fd.try_clone_to_owned(), fd.try_clone_to_owned()) else { return none };
        let mut quiet = before.clone();
        quiet.local_modes.remove(LocalModes::ECHO | LocalModes::ECHOE | LocalModes::ECHOK);
        quiet.local_modes.insert(LocalModes::ECHONL);
        *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some((for_exit, before.clone()));
        if tcsetattr(fd, OptionalActions::Now, &quiet).is_err() {
            SAVED.lock().unwrap_or_else(|p| p.into_inner()).take();
            return none;
        }
        EchoOff { saved: Some((mine, before)) }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some((fd, before)) = self.saved.take() {
            let _ = rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, &before);
            SAVED.lock().unwrap_or_else(|p| p.into_inner()).take();
        }
    }
}

/// Puts echo back if a secret is being read (the process is about to exit on Ctrl-C).
pub fn restore_echo() {
    #[cfg(unix)]
    if let Some((fd, before)) = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take() {
        let _ = rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, &before);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::fd::AsFd;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};

    use super::*;

    /// What the terminal shows: everything the pseudo-terminal's other side receives.
    fn screen(master: std::fs::File) -> Arc<Mutex<Vec<u8>>> {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let sink = shown.clone();
        let mut master = master;
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        shown
    }

    fn settle() {
        std::thread::sleep(Duration::from_millis(200));
    }

    #[test]
    fn a_secret_typed_at_a_terminal_is_not_echoed_and_echo_comes_back() {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(std::path::Path::new(name.to_str().expect("utf-8")))
            .expect("slave");
        let mut keys = std::fs::File::from(master.try_clone().expect("dup"));
        let shown = screen(std::fs::File::from(master));
        let mut input = BufReader::new(slave.try_clone().expect("dup"));

        let mut line = String::new();
        {
            let _off = EchoOff::on(slave.as_fd());
            keys.write_all(b"hunter2-secret\n").expect("type");
            input.read_line(&mut line).expect("read");
        }
        assert_eq!(line, "hunter2-secret\n", "the program reads what was typed");
        settle();
        let text = String::from_utf8_lossy(&shown.lock().expect("lock")).to_string();
        assert!(!text.contains("hunter2"), "the secret was shown: {text:?}");
        assert!(text.contains('\n'), "Enter still moves to the next line: {text:?}");

        // Echo is back once the secret is read.
        keys.write_all(b"shown-again\n").expect("type");
        line.clear();
        input.read_line(&mut line).expect("read");
        settle();
        let text = String::from_utf8_lossy(&shown.lock().expect("lock")).to_string();
        assert!(text.contains("shown-again"), "{text:?}");
    }
}
