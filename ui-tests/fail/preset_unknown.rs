use landlock_runtime::sandbox;

#[sandbox(exec = "/usr/bin/env", preset = ["dynamic_loader", "dynamic_linker", "locale", "locale"])]
fn start() {}

#[sandbox(preset = 3)]
fn wrong_type() {}

fn main() {
    start();
    wrong_type();
}
