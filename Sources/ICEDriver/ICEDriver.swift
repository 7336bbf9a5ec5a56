import ICE

/// IO for the ICE core: sockets, interfaces, STUN client and port mapping. See docs/ice.md.
public enum ICEDriverModule {}
