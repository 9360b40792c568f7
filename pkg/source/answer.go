package source

// Answerer is implemented by a Parser whose delivery protocol fixes the
// HTTP answers (RFC 8935 push delivery: 202 Accepted, and 400 with
// {"err": "<code>", "description": "…"}). The ingress asks it only after
// Parse; every other source keeps the ingress's own answers (200 with a
// summary, 401, 400, 503).
type Answerer interface {
	// AcceptedStatus is the status for a webhook whose events were all
	// enqueued (or that carried none); the body stays the ingress's summary.
	AcceptedStatus() int
	// Rejection shapes the answer to err, an error of Parse or a
	// rejection of its events by the ingress (wrapping ErrMalformed): a
	// status and a JSON body. ok false keeps the ingress's answer. The body
	// quotes nothing from the request.
	Rejection(err error) (status int, body []byte, ok bool)
}
