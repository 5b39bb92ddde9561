package onenet

// sections gives, for each code of a rule OneNET enforces, the section of
// docs/PROTOCOL.md that states the rule and its source. The page shows it
// beside a warning and the broker writes it in its log line, so that both
// name the same rule.
var sections = map[string]string{
	"connect.protocol":        "§3.2",
	"connect.clientId":        "§3.1",
	"connect.username":        "§3.1",
	"connect.password":        "§3.1",
	"connect.keepAlive":       "§3.3",
	"connect.will":            "§3.4",
	"connect.cleanSession":    "§3.4",
	"connect.username.number": "§3.5",
	"connect.banned":          "§5.6",

	"publish.qos":       "§5.1",
	"publish.retain":    "§5.1",
	"publish.dup":       "§5.1",
	"publish.size":      "§5.1",
	"publish.downlink":  "§4.3",
	"topic.utf8":        "§5.1",
	"topic.nul":         "§5.1",
	"topic.control":     "§5.1",
	"topic.wildcard":    "§5.1",
	"topic.levels":      "§5.1",
	"topic.level.empty": "§4.3",
	"topic.chars":       "§5.1",
	"topic.foreign":     "§4.2",
	"topic.prefix":      "§4.1",
	"topic.unknown":     "§4.3",

	"subscribe.qos":      "§4.7",
	"subscribe.count":    "§5.2",
	"subscribe.session":  "§5.2",
	"subscribe.rate":     "§5.2",
	"filter.length":      "§5.2",
	"filter.levels":      "§5.2",
	"filter.utf8":        "§5.2",
	"filter.nul":         "§5.2",
	"filter.control":     "§5.2",
	"filter.chars":       "§5.2",
	"filter.syntax":      "§4.4",
	"filter.level.empty": "§4.4",
	"filter.wildcard":    "§4.5",
	"filter.foreign":     "§4.2",

	"unsubscribe.count": "§5.3",
	"unsubscribe.rate":  "§5.3",
	"ping.rate":         "§5.4",
	"puback.unknown":    "§5.5",
	"qos2.flow":         "§5.5",

	"rate.login": "§5.6",
	"rate.qos0":  "§5.6",
	"rate.qos1":  "§5.6",

	"studio.login":       "§5.7",
	"studio.uplink":      "§5.7",
	"studio.bytes":       "§5.7",
	"studio.subscribe":   "§5.7",
	"studio.session":     "§5.7",
	"studio.unsubscribe": "§5.7",
	"studio.ping":        "§5.7",
	"studio.propset":     "§5.7",

	"dp.rejected":          "§7.3",
	"cmd.response.size":    "§8.2",
	"cmd.response.late":    "§8.2",
	"cmd.response.unknown": "§8.2",
	"cmd.request.size":     "§8.3",
}

// Section returns the section of docs/PROTOCOL.md, e.g. "§5.2", that states
// the rule behind a warning or error code, or "" for a code that is not a
// rule of OneNET's (a JSON syntax error, an argument's type).
func Section(code string) string { return sections[code] }

// Sections returns every rule code with its section; the map is a copy.
func Sections() map[string]string {
	out := make(map[string]string, len(sections))
	for k, v := range sections {
		out[k] = v
	}
	return out
}
