import Ratchet
