use std::future::Future;
use std::pin::Pin;

use landlock_runtime::sandbox;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[sandbox(read = "/etc")]
fn fetch() -> impl Future<Output = u32> {
    async { 1 }
}

#[sandbox(read = "/etc")]
fn boxed() -> Pin<Box<dyn Future<Output = u32>>> {
    Box::pin(async { 1 })
}

#[sandbox(read = "/etc")]
fn aliased() -> BoxFuture<'static, u32> {
    Box::pin(async { 1 })
}

fn main() {
    let _ = (fetch(), boxed(), aliased());
}
