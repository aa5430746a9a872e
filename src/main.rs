//! The web page's entry point: Trunk builds this binary for wasm32 and the
//! page starts the Yew app. A native build only explains where to look.

#[cfg(target_arch = "wasm32")]
fn main() {
    redis_playground::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("This binary is the web page: build it with `trunk build` (see README.md).");
    eprintln!("To run a scenario natively: cargo run --release --bin scenario -- FILE");
    std::process::exit(2);
}
