package admin

import "github.com/ftpsbridge/ftpsbridge/mapping"

// UserView is what the console shows of a user: never the password hash.
type UserView struct {
	Name       string      `json:"name"`
	Auth       string      `json:"auth"`
	Disabled   bool        `json:"disabled"`
	ExpiresAt  string      `json:"expires_at,omitempty"`
	Home       string      `json:"home"`
	AllowedIPs []string    `json:"allowed_ips,omitempty"`
	Mounts     []MountView `json:"mounts"`
}

// MountView is one mount of a user.
type MountView struct {
	Path        string   `json:"path"`
	Backend     string   `json:"backend"`
	Bucket      string   `json:"bucket"`
	Prefix      string   `json:"prefix"`
	Permissions []string `json:"permissions"`
}

// Views turns configured users into what the console shows.
func Views(users []mapping.UserConfig) []UserView {
	out := make([]UserView, 0, len(users))
	for _, u := range users {
		v := UserView{
			Name: u.Name, Auth: u.Auth, Disabled: u.Disabled, ExpiresAt: u.ExpiresAt,
			Home: u.Home, AllowedIPs: u.AllowedIPs,
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
		out = append(out, v)
	}
	return out
}
