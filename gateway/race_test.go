//go:build race

package gateway

// raceEnabled: the race detector slows request handling about tenfold, so
// volume tests send a tenth of their requests; the plain run sends all.
const raceEnabled = true
