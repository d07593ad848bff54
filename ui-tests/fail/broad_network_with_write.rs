use landlock_runtime::sandbox;

// Unrestricted TCP next to write access: an error unless acknowledged with `broad`.
#[sandbox(write = "$TMP", connect = "*")]
fn download_anything() {}

#[sandbox(write = "$TMP", bind = "*")]
fn serve_anything() {}

// Unrestricted TCP without write access is not broad.
#[sandbox(read = "/etc", connect = "*", bind = "*")]
fn read_only_client() {}

fn main() {
    download_anything();
    serve_anything();
    read_only_client();
}
