package source

import "context"

// Handshaker is implemented by a Parser whose platform proves a webhook
// URL with a POST that carries no events (Microsoft Graph's subscription
// validation: POST ?validationToken=…, empty body, answered within 10 s by
// 200 with the token as text/plain). The ingress asks it before it reads
// the body; every other source keeps Parse alone.
type Handshaker interface {
	// Handshake reports whether req is such a request (ok) and, if so,
	// the answer: a 200 with body as contentType. An error wraps
	// ErrUnauthenticated or ErrMalformed. It echoes nothing it has not
	// checked.
	Handshake(ctx context.Context, req Request) (body []byte, contentType string, ok bool, err error)
}
