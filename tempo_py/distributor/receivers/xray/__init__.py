"""AWS X-Ray receiver: the X-Ray daemon's UDP protocol (port 2000)."""
