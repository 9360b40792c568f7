package awsadapter

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// listPageSize, when set, is the max-keys of each ListObjectsV2 page
// (tests: S3's default is 1,000).
var listPageSize = 0

// ListObjects lists the keys under prefix with S3's ListObjectsV2 (the
// same signed REST calls as PutObject), following its pages of 1,000
// keys, in S3's order (UTF-8 binary order of the keys).
func (o *ObjectStore) ListObjects(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	q := url.Values{"list-type": {"2"}, "prefix": {prefix}}
	if listPageSize > 0 {
		q.Set("max-keys", strconv.Itoa(listPageSize))
	}
	for range 10000 { // ten million keys under one prefix is no listing to page through
		resp, err := o.doQuery(ctx, http.MethodGet, bucket, "", q, http.Header{}, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Contents []struct {
				Key string `xml:"Key"`
			} `xml:"Contents"`
			IsTruncated           bool   `xml:"IsTruncated"`
			NextContinuationToken string `xml:"NextContinuationToken"`
		}
		if resp.StatusCode != http.StatusOK {
			err = multipartError("list objects", resp)
		} else if derr := xml.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&page); derr != nil {
			err = fmt.Errorf("s3 list objects: unreadable answer: %w", derr)
		}
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		for _, c := range page.Contents {
			keys = append(keys, c.Key)
		}
		if !page.IsTruncated || page.NextContinuationToken == "" {
			return keys, nil
		}
		q.Set("continuation-token", page.NextContinuationToken)
	}
	return nil, errors.New("s3 list objects: too many pages")
}
