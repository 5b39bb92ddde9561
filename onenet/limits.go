package onenet

import "time"

// OneNET's message-rate limits per device. MQTT kit (docs/PROTOCOL.md §5.6):
// in any RateWindow, more than MaxLoginsPerWindow logins,
// MaxQoS0PerWindow QoS 0 publishes or MaxQoS1PerWindow QoS 1 publishes ban
// the device for RateBan. OneNET Studio (§5.7): at most
// StudioMaxLoginsPerWindow logins per RateWindow and
// StudioMaxUplinkPerSecond uplink messages per second (later ones are
// delayed).
const (
	RateWindow               = 5 * time.Second
	RateBan                  = 5 * time.Minute
	MaxLoginsPerWindow       = 10
	MaxQoS0PerWindow         = 300
	MaxQoS1PerWindow         = 100
	StudioMaxLoginsPerWindow = 3
	StudioMaxUplinkPerSecond = 1
)
