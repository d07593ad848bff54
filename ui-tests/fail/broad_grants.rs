use landlock_runtime::sandbox;

// Each broad grant is an error under its own token unless acknowledged with `broad`.
#[sandbox(read = "/", write = ["$HOME", "/home/", "/usr", "/etc"], exec = "/?")]
fn everything() {}

#[sandbox(write = "$TMP", connect = "*", bind = "*")]
fn exfiltrate() {}

fn main() {
    everything();
    exfiltrate();
}
