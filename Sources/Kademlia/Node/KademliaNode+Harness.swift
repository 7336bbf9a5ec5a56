import MeshCore

extension KademliaNode {
    /// Inserts a contact as if a round trip had been verified. Only for harnesses that know the truth
    /// (the simulator building tables for 10,000 nodes at once); the network path never calls it.
    public func adoptVerifiedContact(_ contact: Contact, now: Timestamp) {
        routingTable.insertVerified(contact, now: now)
    }
}
