package io.tributary.s3;

import io.tributary.result.JobFailure;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The S3 connection behind {@code TRIBUTARY_CONN_<ID>}:
 * {@code s3://[ACCESS_KEY:SECRET_KEY@][HOST[:PORT]][?region=R&scheme=http|https&path_style=true|false&session_token=T&cafile=PATH]}.
 * No host means AWS's own endpoints (virtual-hosted style); a host means an endpoint override (path-style
 * unless {@code path_style=false}). No keys means the SDK's default credential chain (instance role, IRSA,
 * {@code AWS_*} variables). Keys stay out of {@link #toString()} and every message. {@code cafile} names a PEM file
 * of the CA certificate(s) that must have signed the server's certificate (a private CA, e.g. the local stack's),
 * trusted instead of the JVM's default CAs; the host name is always checked (like libpq's verify-full).
 */
public final class S3ConnectionUri {
    private static final Set<String> PARAMETERS = Set.of("region", "scheme", "path_style", "session_token", "cafile");

    private final String accessKey;
    private final String secretKey;
    private final String sessionToken;
    private final URI endpoint;
    private final String region;
    private final boolean pathStyle;
    private final Path caFile;

    private S3ConnectionUri(String accessKey, String secretKey, String sessionToken, URI endpoint, String region,
            boolean pathStyle, Path caFile) {
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.sessionToken = sessionToken;
        this.endpoint = endpoint;
        this.region = region;
        this.pathStyle = pathStyle;
        this.caFile = caFile;
    }

    public static S3ConnectionUri parse(String uri, String origin) {
        if (!uri.startsWith("s3://")) {
            throw JobFailure.badInput(origin + " must be an s3:// URI (s3://KEY:SECRET@host:port?region=...)");
        }
        String rest = uri.substring("s3://".length());
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        String accessKey = null;
        String secretKey = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                throw JobFailure.badInput(origin + ": credentials must be ACCESS_KEY:SECRET_KEY@ (the secret is missing)");
            }
            accessKey = decode(userInfo.substring(0, colon), origin, "access key");
            secretKey = decode(userInfo.substring(colon + 1), origin, "secret key");
            if (accessKey.isEmpty() || secretKey.isEmpty()) {
                throw JobFailure.badInput(origin + ": empty access key or secret key");
            }
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = decode(eq >= 0 ? pair.substring(0, eq) : pair, origin, "parameter name");
            if (!PARAMETERS.contains(key)) {
                throw JobFailure.badInput(origin + ": unsupported parameter '" + key + "' (supported: "
                        + String.join(", ", new java.util.TreeSet<>(PARAMETERS)) + ")");
            }
            params.put(key, eq >= 0 ? decode(pair.substring(eq + 1), origin, "parameter " + key) : "");
        }
        String scheme = params.getOrDefault("scheme", "https");
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw JobFailure.badInput(origin + ": scheme must be http or https, not '" + scheme + "'");
        }
        URI endpoint = null;
        if (!rest.isEmpty()) {
            if (!rest.matches("[A-Za-z0-9.\\-]+(:[0-9]{1,5})?|\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?")) {
                throw JobFailure.badInput(origin + ": malformed endpoint host '" + rest + "'");
            }
            endpoint = URI.create(scheme + "://" + rest);
        }
        String pathStyleText = params.getOrDefault("path_style", endpoint != null ? "true" : "false");
        if (!pathStyleText.equals("true") && !pathStyleText.equals("false")) {
            throw JobFailure.badInput(origin + ": path_style must be true or false");
        }
        String region = params.getOrDefault("region", "us-east-1");
        if (!region.matches("[a-z0-9-]{2,32}")) {
            throw JobFailure.badInput(origin + ": malformed region '" + region + "'");
        }
        String token = params.get("session_token");
        if (token != null && accessKey == null) {
            throw JobFailure.badInput(origin + ": session_token needs ACCESS_KEY:SECRET_KEY@ as well");
        }
        String caFile = params.get("cafile");
        if (caFile != null && (caFile.isEmpty() || !scheme.equals("https"))) {
            throw JobFailure.badInput(origin + ": cafile needs a file name and scheme=https (it verifies the server's"
                    + " certificate)");
        }
        return new S3ConnectionUri(accessKey, secretKey, token, endpoint, region, Boolean.parseBoolean(pathStyleText),
                caFile == null ? null : Path.of(caFile));
    }

    private static String decode(String text, String origin, String what) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw JobFailure.badInput(origin + ": malformed percent-encoding in the " + what);
        }
    }

    public Optional<URI> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    public String region() {
        return region;
    }

    public boolean pathStyle() {
        return pathStyle;
    }

    /** The CA file the server's certificate must verify against, if the URI names one (else the JVM's CAs). */
    public Optional<Path> caFile() {
        return Optional.ofNullable(caFile);
    }

    public boolean hasStaticCredentials() {
        return accessKey != null;
    }

    String accessKey() {
        return accessKey;
    }

    String secretKey() {
        return secretKey;
    }

    String sessionToken() {
        return sessionToken;
    }

    /** For logs: endpoint and region, never the keys. */
    @Override
    public String toString() {
        return (endpoint == null ? "aws" : endpoint.toString()) + " (" + region + (pathStyle ? ", path-style" : "")
                + (accessKey == null ? ", default credentials" : ", static credentials")
                + (caFile == null ? "" : ", CA " + caFile) + ")";
    }
}
