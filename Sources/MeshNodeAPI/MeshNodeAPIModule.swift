/// The local agent API (see Sources/MeshNodeAPI/README in docs/agents.md).
enum MeshNodeAPIModule {}
