package s3dest

import "time"

// SetRetryWaits replaces d's waits between retries, for tests that make
// calls fail on purpose.
func SetRetryWaits(d *S3, waits ...time.Duration) { d.retry = waits }
