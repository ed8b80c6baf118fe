"""The built-in web UI: static HTML, CSS and JavaScript modules shipped in the package, no build step."""
