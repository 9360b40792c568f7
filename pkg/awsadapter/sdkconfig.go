package awsadapter

import (
	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/profilesync/profilesync/pkg/awsadapter/awsenv"
)

// ConfigFromEnv is the SDK configuration of the Lambda functions, read from
// the environment Lambda gives every function (awsenv.Config, which says
// what it reads); region, when not empty, overrides the environment's.
func ConfigFromEnv(region string) (awssdk.Config, error) { return awsenv.Config(region) }

// ErrNoRegion is ConfigFromEnv's error when neither its argument nor the
// environment names a region.
var ErrNoRegion = awsenv.ErrNoRegion

// environment is the configuration source the service clients consult for
// their own endpoint variable (awsenv.Environment).
type environment = awsenv.Environment
