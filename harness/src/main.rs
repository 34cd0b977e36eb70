fn main() -> std::process::ExitCode {
    conform::cli::main()
}
