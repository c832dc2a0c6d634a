package dev.cicd.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README shows examples/recipe.yaml without its comments: the same keys and values. */
class RecipeReadmeTest {

    @Test
    void theReadmesRecipeIsExamplesRecipeYaml() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int section = readme.indexOf("## Example config: the recipe");
        assertTrue(section >= 0, "the README has its recipe section");
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String block = readme.substring(start, readme.indexOf("```", start));
        YAMLMapper yaml = new YAMLMapper();
        JsonNode shown = yaml.readTree(block);
        JsonNode recipe = yaml.readTree(Path.of("..", "examples", "recipe.yaml").toFile());
        assertEquals(recipe, shown, "README.md's recipe block and examples/recipe.yaml differ");
    }
}
