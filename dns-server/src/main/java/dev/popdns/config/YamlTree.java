package dev.popdns.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read into plain nodes that remember their line, so that every validation error
 * can name {@code file:line}. (Jackson's own trees forget where their values came from.)
 */
public final class YamlTree {
    private YamlTree() {}

    /** A value in the document and the line it starts on. */
    public sealed interface Node {
        int line();
    }

    /** A mapping, keys in file order. */
    public record MapNode(int line, Map<String, Node> entries, Map<String, Integer> keyLines) implements Node {}

    public record ListNode(int line, List<Node> items) implements Node {}

    /** A scalar as text; {@code null} text for YAML null. */
    public record Scalar(int line, String text) implements Node {}

    /** Parses the file; syntax errors become {@link ConfigException} with {@code file:line}. */
    public static Node read(Path file) throws ConfigException {
        try (JsonParser parser = new YAMLFactory().createParser(file.toFile())) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return new MapNode(1, Map.of(), Map.of());
            }
            return node(parser, file);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new ConfigException(file + ":" + line + ": "
                    + e.getOriginalMessage().lines().findFirst().orElse("syntax error"));
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static Node node(JsonParser p, Path file) throws IOException, ConfigException {
        int line = p.currentTokenLocation().getLineNr();
        JsonToken token = p.currentToken();
        switch (token) {
            case START_OBJECT -> {
                Map<String, Node> entries = new LinkedHashMap<>();
                Map<String, Integer> keyLines = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    int keyLine = p.currentTokenLocation().getLineNr();
                    p.nextToken();
                    if (entries.put(key, node(p, file)) != null) {
                        throw new ConfigException(file + ":" + keyLine + ": duplicate key '" + key + "'");
                    }
                    keyLines.put(key, keyLine);
                }
                return new MapNode(line, entries, keyLines);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node(p, file));
                }
                return new ListNode(line, items);
            }
            case VALUE_NULL -> {
                return new Scalar(line, null);
            }
            default -> {
                return new Scalar(line, p.getText());
            }
        }
    }
}
