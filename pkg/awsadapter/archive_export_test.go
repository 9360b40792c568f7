package awsadapter

// SetListPageSize makes ListObjects ask for pages of n keys until the
// returned function restores S3's default.
func SetListPageSize(n int) (restore func()) {
	old := listPageSize
	listPageSize = n
	return func() { listPageSize = old }
}
