"""After sharing: retention and destruction (seed 003's lifecycle), as pure rules."""
