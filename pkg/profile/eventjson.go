package profile

import (
	"encoding/json"
	"strconv"
	"time"
)

// appendEvent appends e's encoding, byte for byte what
// json.Marshal(wireOf(e)) writes, without reflection: every webhook
// event is encoded once at the ingress, and on a log batch of thin events
// encoding/json's reflective walk cost as much as decoding the batch.
// The profile, when there is one, still goes through encoding/json. An
// error (a time MarshalText refuses, a profile json.Marshal refuses) is
// the caller's cue to ask encoding/json for its own error.
func appendEvent(b []byte, e *Event) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = AppendJSONString(b, e.ID)
	b = append(b, `,"source":`...)
	b = AppendJSONString(b, e.Source)
	b = append(b, `,"type":`...)
	b = AppendJSONString(b, string(e.Type))
	b = append(b, `,"subject":`...)
	b = AppendJSONString(b, e.Subject)
	b = append(b, `,"occurred_at":"`...)
	if b, err = e.OccurredAt.AppendText(b); err != nil {
		return nil, err
	}
	b = append(b, `","received_at":"`...)
	if b, err = e.ReceivedAt.AppendText(b); err != nil {
		return nil, err
	}
	b = append(b, '"')
	b = appendOptional(b, `,"environment":`, e.Environment)
	b = appendOptional(b, `,"client_id":`, e.ClientID)
	b = appendOptional(b, `,"purpose":`, e.Purpose)
	b = appendOptional(b, `,"source_type":`, e.SourceType)
	if e.Replay {
		b = append(b, `,"replay":true`...)
	}
	if e.Profile != nil {
		p, err := json.Marshal(e.Profile)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"profile":`...), p...)
	}
	return append(b, '}'), nil
}

// eventSize is at least what appendEvent writes for e when no string
// needs escaping, bar the profile (a guess): each queue message is
// allocated once, at about its size, and a batch's stay alive together
// until they are sent.
func eventSize(e *Event) int {
	n := len(`{"id":"","source":"","type":"","subject":"","occurred_at":"","received_at":""}`) + 2*len(time.RFC3339Nano) +
		len(e.ID) + len(e.Source) + len(e.Type) + len(e.Subject)
	for _, s := range [...]string{e.Environment, e.ClientID, e.Purpose, e.SourceType} {
		if s != "" {
			n += len(`,"source_type":""`) + len(s)
		}
	}
	if e.Replay {
		n += len(`,"replay":true`)
	}
	if e.Profile != nil {
		n += 512
	}
	return n
}

// appendOptional is an omitempty string field: key and value, or nothing.
func appendOptional(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return AppendJSONString(append(b, key...), s)
}

// AppendJSONString appends s as encoding/json writes a string (the
// ingress writes its answers with it too). Plain ASCII,
// which ids, names and dates nearly always are, is copied between quotes;
// anything json.Marshal would escape (quotes, backslashes, control
// characters, <, >, &, non-ASCII and invalid UTF-8) is left to it.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendEnvelopeHead appends what Envelope.Marshal writes at
// EnvelopeVersion for target before the event; the event and a closing
// brace complete it.
func appendEnvelopeHead(b []byte, target string) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, EnvelopeVersion, 10)
	b = append(b, `,"target":`...)
	b = AppendJSONString(b, target)
	return append(b, `,"event":`...)
}
