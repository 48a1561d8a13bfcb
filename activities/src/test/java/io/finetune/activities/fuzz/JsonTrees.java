package io.finetune.activities.fuzz;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Structured inputs: random JSON values of every type, and valid seed objects with fields replaced
 * by values of other types, removed, added or written twice.
 */
public final class JsonTrees {
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  public static final ObjectMapper JSON = new ObjectMapper();
  public static final ObjectMapper YAML = new YAMLMapper();

  private JsonTrees() {}

  private static final String ANY =
      "aZ09 _-.:/@\\\"'{}[],#&*!|>%\t\n\r\u0000\u00e9\u4e2d\u202e\ud83d\ude00\ud800";

  /** A string that readers may trip on: a word of the format, a token, random text, empty, huge. */
  public static String string(SplittableRandom r, List<String> words) {
    return switch (r.nextInt(8)) {
      case 0, 1 -> words.get(r.nextInt(words.size()));
      case 2 -> Mutants.TOKENS.get(r.nextInt(Mutants.TOKENS.size()));
      case 3 -> "";
      case 4 -> "x".repeat(70_000);
      case 5 -> {
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(40); i > 0; i--) {
          b.appendCodePoint(r.nextInt(0x110000));
        }
        yield b.toString();
      }
      default -> {
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(20); i > 0; i--) {
          b.append(ANY.charAt(r.nextInt(ANY.length())));
        }
        yield b.toString();
      }
    };
  }

  /**
   * Any JSON value, nested up to {@code depth} levels, with the {@code words} among its strings.
   */
  public static JsonNode value(SplittableRandom r, List<String> words, int depth) {
    int kind = r.nextInt(depth > 0 ? 10 : 8);
    return switch (kind) {
      case 0 -> NODES.nullNode();
      case 1 -> NODES.booleanNode(r.nextBoolean());
      case 2 -> NODES.numberNode(r.nextInt(-3, 101));
      case 3 -> NODES.numberNode(r.nextLong());
      case 4 -> {
        double[] d = {Double.MAX_VALUE, -0.0, 1e-320, 0.05, 0.5, 1.0, 1.5, -1.0, 2.0, 1e20, -1e20};
        yield NODES.numberNode(d[r.nextInt(d.length)]);
      }
      case 5 ->
          r.nextBoolean()
              ? NODES.numberNode(new BigInteger("9".repeat(20 + r.nextInt(40))))
              : NODES.numberNode(new BigDecimal("1e" + (300 + r.nextInt(200))));
      case 6, 7 -> NODES.textNode(string(r, words));
      case 8 -> {
        ArrayNode a = NODES.arrayNode();
        for (int i = r.nextInt(4); i > 0; i--) {
          a.add(value(r, words, depth - 1));
        }
        yield a;
      }
      default -> {
        ObjectNode o = NODES.objectNode();
        for (int i = r.nextInt(4); i > 0; i--) {
          o.set(
              r.nextBoolean() ? words.get(r.nextInt(words.size())) : string(r, words),
              value(r, words, depth - 1));
        }
        yield o;
      }
    };
  }

  enum Kind {
    REPLACE,
    REMOVE,
    ADD,
    DUPLICATE_FIRST_KEY
  }

  /** One change at the {@code at}-th node of the tree (in document order, modulo their number). */
  public record Change(Kind kind, int at, String key, JsonNode value) {
    @Override
    public String toString() {
      String v = value.toString();
      return kind
          + "@"
          + at
          + (kind == Kind.ADD ? " " + key : "")
          + "="
          + (v.length() > 80 ? v.substring(0, 80) + "..." : v);
    }
  }

  /** A seed object and the changes made to it. */
  public record Changed(String seedName, JsonNode seed, List<Change> changes) {
    /** The changed tree (without the duplicated keys, which only its text can hold). */
    public JsonNode tree() {
      JsonNode t = seed.deepCopy();
      for (Change c : changes) {
        t = apply(t, c);
      }
      return t;
    }

    /** As one line of JSON, with any duplicated key. */
    public String json() {
      return withDuplicates(write(JSON, tree()), tree());
    }

    /** As a YAML document, with any duplicated key. */
    public String yaml() {
      String yaml = write(YAML, tree());
      JsonNode t = tree();
      if (duplicates() && t.isObject() && t.size() > 0) {
        Map.Entry<String, JsonNode> first = t.fields().next();
        ObjectNode one = NODES.objectNode().set(first.getKey(), first.getValue());
        yaml = yaml + write(YAML, one).replaceFirst("^---\\s*\\n", "");
      }
      return yaml;
    }

    private boolean duplicates() {
      return changes.stream().anyMatch(c -> c.kind() == Kind.DUPLICATE_FIRST_KEY);
    }

    private String withDuplicates(String json, JsonNode t) {
      if (!duplicates() || !t.isObject() || t.size() == 0) {
        return json;
      }
      Map.Entry<String, JsonNode> first = t.fields().next();
      ObjectNode one = NODES.objectNode().set(first.getKey(), first.getValue());
      String field = write(JSON, one);
      return "{" + field.substring(1, field.length() - 1) + "," + json.substring(1);
    }

    @Override
    public String toString() {
      String text = json();
      return seedName
          + " "
          + changes
          + ": "
          + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
    }
  }

  /** One of {@code seeds} with 1 to 4 changes, values from {@link #value}. */
  public static Changed changed(
      SplittableRandom r, Map<String, JsonNode> seeds, List<String> words) {
    List<String> names = List.copyOf(seeds.keySet());
    String name = names.get(r.nextInt(names.size()));
    List<Change> changes = new ArrayList<>();
    for (int i = 1 + r.nextInt(4); i > 0; i--) {
      changes.add(
          new Change(
              Kind.values()[r.nextInt(Kind.values().length)],
              r.nextInt(1000),
              r.nextBoolean() ? words.get(r.nextInt(words.size())) : string(r, words),
              value(r, words, 3)));
    }
    return new Changed(name, seeds.get(name), List.copyOf(changes));
  }

  /** The same case with one change less, for each change. */
  public static List<Changed> smaller(Changed c) {
    return Fuzz.withOneLess(c.changes()).stream()
        .map(changes -> new Changed(c.seedName(), c.seed(), changes))
        .toList();
  }

  static JsonNode apply(JsonNode tree, Change c) {
    if (c.kind() == Kind.DUPLICATE_FIRST_KEY) {
      return tree;
    }
    List<JsonNode[]> nodes = new ArrayList<>(); // {parent, node} pairs; parent null for the root
    collect(null, tree, nodes);
    JsonNode[] target = nodes.get(c.at() % nodes.size());
    JsonNode value = c.value().deepCopy(); // a value of the arbitrary is shared: never a cycle
    JsonNode parent = target[0];
    JsonNode node = target[1];
    switch (c.kind()) {
      case ADD -> {
        if (node instanceof ObjectNode o) {
          o.set(c.key(), value);
        } else if (node instanceof ArrayNode a) {
          a.add(value);
        } else {
          return replace(tree, parent, node, value);
        }
        return tree;
      }
      case REMOVE -> {
        if (parent == null) {
          return NODES.objectNode();
        }
        remove(parent, node);
        return tree;
      }
      default -> {
        return replace(tree, parent, node, value);
      }
    }
  }

  private static void collect(JsonNode parent, JsonNode node, List<JsonNode[]> out) {
    out.add(new JsonNode[] {parent, node});
    for (JsonNode child : node) {
      collect(node, child, out);
    }
  }

  @SuppressWarnings("ReferenceEquality") // the very node picked, not an equal one elsewhere
  private static JsonNode replace(JsonNode tree, JsonNode parent, JsonNode node, JsonNode with) {
    if (parent == null) {
      return with;
    }
    if (parent instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue() == node) {
          e.setValue(with);
          return tree;
        }
      }
    } else if (parent instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i) == node) {
          a.set(i, with);
          return tree;
        }
      }
    }
    return tree;
  }

  @SuppressWarnings("ReferenceEquality") // the very node picked, not an equal one elsewhere
  private static void remove(JsonNode parent, JsonNode node) {
    if (parent instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        if (it.next().getValue() == node) {
          it.remove();
          return;
        }
      }
    } else if (parent instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i) == node) {
          a.remove(i);
          return;
        }
      }
    }
  }

  static String write(ObjectMapper mapper, JsonNode node) {
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a seed (JSON or YAML). */
  public static JsonNode read(ObjectMapper mapper, String text) {
    try {
      return mapper.readTree(text);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
