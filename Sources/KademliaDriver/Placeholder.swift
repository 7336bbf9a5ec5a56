import Kademlia
