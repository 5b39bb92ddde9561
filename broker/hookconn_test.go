package broker

import "net"

// benchConn is c as the broker's listeners hand it to mochi.
func benchConn(c net.Conn) net.Conn { return &conn{Conn: c, ended: make(chan struct{})} }
