"""What the Jaeger and Zipkin query APIs share: services, operations, dependencies, trace finding."""
