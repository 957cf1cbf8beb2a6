package io.tributary.config;

/** One thing wrong with a config file: where (a JSON path such as {@code $.sources[1].id}) and what. */
public record ConfigProblem(String path, String message) {

    /** {@code migration.yaml: $.sources[1].id: duplicate source id 'src_eu'}. */
    public String render(String fileName) {
        return path == null || path.isEmpty() ? fileName + ": " + message : fileName + ": " + path + ": " + message;
    }

    /** Appends a key to a JSON path, bracket-quoting keys that are not plain names. */
    public static String child(String path, String key) {
        return key.matches("[A-Za-z_][A-Za-z0-9_]*") ? path + "." + key : path + "['" + key.replace("'", "\\'") + "']";
    }
}
