# tempo_py's own description of the Jaeger agent UDP service (the oneway call clients send in
# each datagram). The Zipkin variant is declared with an opaque argument: we do not accept it.

include "jaeger.thrift"

service Agent {
  oneway void emitBatch(1: jaeger.Batch batch)
}
