package admin

import "github.com/ftpsbridge/ftpsbridge/mapping"

// UserView is what the console shows of a user: everything but the
// password hash, so that an edit can start from it and lose nothing.
type UserView struct {
	Name string `json:"name"`
	// Source is where the user is defined: "users_file" (the console can
	// edit it) or "config" (the users section of the configuration file).
	Source           string      `json:"source"`
	Auth             string      `json:"auth"`
	CertFingerprints []string    `json:"cert_fingerprints,omitempty"`
	CertSubjects     []string    `json:"cert_subjects,omitempty"`
	Disabled         bool        `json:"disabled"`
	ExpiresAt        string      `json:"expires_at,omitempty"`
	Home             string      `json:"home"`
	AllowedIPs       []string    `json:"allowed_ips,omitempty"`
	MaxSessions      int         `json:"max_sessions,omitempty"`
	UploadMaxBytes   string      `json:"upload_max_bytes,omitempty"`
	AllowedPatterns  []string    `json:"allowed_patterns,omitempty"`
	DeniedPatterns   []string    `json:"denied_patterns,omitempty"`
	Mounts           []MountView `json:"mounts"`
}

// MountView is one mount of a user.
type MountView struct {
	Path        string   `json:"path"`
	Backend     string   `json:"backend"`
	Bucket      string   `json:"bucket"`
	Prefix      string   `json:"prefix"`
	Permissions []string `json:"permissions"`
}

// Sources of a user.
const (
	SourceConfig    = "config"
	SourceUsersFile = "users_file"
)

// Views turns configured users into what the console shows; the first
// inline of them come from the configuration file itself, the rest from
// the users_file.
func Views(users []mapping.UserConfig, inline int) []UserView {
	out := make([]UserView, 0, len(users))
	for i, u := range users {
		v := view1(u)
		if i < inline {
			v.Source = SourceConfig
		}
		out = append(out, v)
	}
	return out
}

// view1 is the view of one user of the users_file.
func view1(u mapping.UserConfig) UserView {
	v := UserView{
		Name: u.Name, Source: SourceUsersFile, Auth: u.Auth, CertFingerprints: u.CertFingerprints,
		CertSubjects: u.CertSubjects, Disabled: u.Disabled, ExpiresAt: u.ExpiresAt,
		Home: u.Home, AllowedIPs: u.AllowedIPs, MaxSessions: u.MaxSessions,
		AllowedPatterns: u.AllowedPatterns, DeniedPatterns: u.DeniedPatterns,
	}
	if u.UploadMaxBytes != 0 {
		v.UploadMaxBytes = u.UploadMaxBytes.String()
	}
	if v.Auth == "" {
		v.Auth = "password"
	}
	if v.Home == "" {
		v.Home = "/"
	}
	if len(u.Mounts) == 0 {
		v.Mounts = []MountView{{Path: "/", Backend: u.Backend, Bucket: u.Bucket, Prefix: u.Prefix, Permissions: u.Permissions}}
	}
	for _, m := range u.Mounts {
		v.Mounts = append(v.Mounts, MountView{Path: m.Path, Backend: m.Backend, Bucket: m.Bucket, Prefix: m.Prefix, Permissions: m.Permissions})
	}
	return v
}
