use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
#[tokio::main]
async fn main() {}
